using System.Buffers.Binary;
using System.IO.Compression;
using Google.Protobuf;
using SpDnn.Formats;
using SpDnn.Formats.Idx;
using SpDnn.Formats.Npz;
using SpDnn.Formats.Onnx;
using SpDnn.Tests.Cli;
using SpDnn.Tests.Support;
using Proto = global::Onnx;

namespace SpDnn.Tests.Formats;

/// <summary>
/// Hostile MNIST IDX, .npz and ONNX files, made here: sizes far beyond the data, truncation,
/// decompression bombs, missing external data. Each is one <see cref="SpDnnDataException"/>
/// naming the file, raised before anything of the declared size is allocated (measured), and
/// through the CLI exit code 2 with one line and no output file.
/// </summary>
public class ModelHostileInputTests
{
    /// <summary>What reading a hostile file may allocate: the declared sizes are 100 MB and more.</summary>
    private const long AllocationBound = 16 << 20;

    private static SpDnnDataException Refused(string path, Action read)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<SpDnnDataException>(read);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, AllocationBound);
        Assert.Equal(path, e.File);
        return e;
    }

    // --- MNIST IDX -----------------------------------------------------------------------------

    private static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Fastest)) gzip.Write(data);
        return memory.ToArray();
    }

    [Fact]
    public void IdxImagesAreReadAsSparseRowsOfPixelsOver255()
    {
        using var dir = new TempDirectory();
        var path = dir.File("two.idx");
        File.WriteAllBytes(path, Idx(0x803, [2, 2, 2], [0, 255, 0, 0, 51, 0, 0, 102]));
        var images = IdxFile.ReadImages(path);
        Assert.Equal(2, images.Count);
        Assert.Equal(4, images.Neurons);
        Assert.Equal([1], images.Features.RowIndices(0).ToArray());
        Assert.Equal([0, 3], images.Features.RowIndices(1).ToArray());
        Assert.Equal([51 / 255f, 102 / 255f], images.Features.RowValues(1).ToArray());
        File.WriteAllBytes(path, Gzip(Idx(0x801, [3], [7, 0, 9])));
        Assert.Equal([7, 0, 9], IdxFile.ReadLabels(path));
    }

    [Fact]
    public void AnIdxHeaderDeclaringMoreThanTheFileHoldsIsRefusedBeforeReading()
    {
        using var dir = new TempDirectory();
        var path = dir.File("huge.idx");
        File.WriteAllBytes(path, Idx(0x803, [1024, 1024, 1024], new byte[100]));
        var e = Refused(path, () => IdxFile.ReadImages(path));
        Assert.Contains("truncated IDX file: sizes 1024 x 1024 x 1024 declare 1073741824 data bytes, the file has 100", e.Message);

        File.WriteAllBytes(path, Idx(0x801, [200_000_000], [1, 2, 3]));
        Assert.Contains("declare 200000000 data bytes, the file has 3", Refused(path, () => IdxFile.ReadLabels(path)).Message);

        File.WriteAllBytes(path, Idx(0x801, [2], [1, 2, 3]));
        Assert.Contains("1 bytes after the 2 data bytes", Refused(path, () => IdxFile.ReadLabels(path)).Message);
    }

    [Fact]
    public void AGzipIdxFileMayNotDeclareMoreThanItCanExpandTo()
    {
        using var dir = new TempDirectory();
        var path = dir.File("huge.idx.gz");
        File.WriteAllBytes(path, Gzip(Idx(0x803, [1000, 1000, 1000], new byte[1000])));
        var e = Refused(path, () => IdxFile.ReadImages(path));
        Assert.Contains("declare 1000000000 data bytes, more than a gzip file of", e.Message);
    }

    [Fact]
    public void ATruncatedGzipIdxFileStopsWhereItsDataEnds()
    {
        using var dir = new TempDirectory();
        var path = dir.File("cut.idx.gz");
        // Ten images of 28 x 28 declared, four and a half present: a complete gzip stream, short data.
        File.WriteAllBytes(path, Gzip(Idx(0x803, [10, 28, 28], [.. Enumerable.Range(0, 4 * 784 + 392).Select(i => (byte)(i % 7 == 0 ? 200 : 0))])));
        var e = Refused(path, () => IdxFile.ReadImages(path));
        Assert.Contains("truncated IDX file: its data ends at byte 3544, the sizes declare 7840 data bytes", e.Message);
        Assert.Equal(16 + 4 * 784 + 392, e.ByteOffset);
    }

    [Fact]
    public void MoreBlankImagesThanTheEmptyRowAllowanceAreRefused()
    {
        using var dir = new TempDirectory();
        var path = dir.File("blank.idx");
        int count = SizeLimits.EmptyRowAllowance + 2;
        var pixels = new byte[count];
        pixels[0] = 1;
        File.WriteAllBytes(path, Idx(0x803, [count, 1, 1], pixels));
        var e = Assert.Throws<SpDnnDataException>(() => IdxFile.ReadImages(path));
        Assert.Contains($"more than {SizeLimits.EmptyRowAllowance} of its {count} images are blank", e.Message);
        // Within the allowance they are read.
        File.WriteAllBytes(path, Idx(0x803, [count - 1, 1, 1], pixels[..^1]));
        Assert.Equal(count - 1, IdxFile.ReadImages(path).Count);
    }

    // --- NumPy .npz ----------------------------------------------------------------------------

    /// <summary>A scipy.sparse.save_npz-style COO matrix of the given shape and entries, with <paramref name="change"/> adding or replacing arrays.</summary>
    private static void WriteCoo(string path, long[] shape, int[] rows, int[] columns, float[] values, Action<ZipArchive>? change = null,
        CompressionLevel level = CompressionLevel.Optimal)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Add(string name, Action<Stream> write)
        {
            using var s = zip.CreateEntry(name + ".npy", level).Open();
            write(s);
        }
        Add("format", s => NpyWriter.Bytes(s, "coo"));
        Add("shape", s => NpyWriter.Longs(s, shape, 2));
        Add("row", s => NpyWriter.Ints(s, rows, rows.Length));
        Add("col", s => NpyWriter.Ints(s, columns, columns.Length));
        if (change is null) Add("data", s => NpyWriter.Floats(s, values, values.Length));
        else change(zip);
    }

    [Fact]
    public void AnNpzShapeOutOfProportionToItsEntriesIsRefusedBeforeItsOffsets()
    {
        using var dir = new TempDirectory();
        var path = dir.File("wide.npz");
        WriteCoo(path, [2_000_000_000, 4], [0], [1], [1f]);
        var e = Refused(path, () => NpzNetworkReader.Read(path));
        Assert.Contains("array \"shape\" (2000000000, 4): 2000000000 inputs but at most 1 entries", e.Message);
        WriteCoo(dir.File("tall.npz"), [4, 2_000_000_000], [0], [1], [1f]);
        Assert.Contains("2000000000 outputs but at most 1 entries", Refused(dir.File("tall.npz"), () => NpzNetworkReader.Read(dir.File("tall.npz"))).Message);
    }

    [Fact]
    public void AnNpyHeaderClaimingMoreDataThanItsEntryHoldsIsRefusedBeforeAllocating()
    {
        using var dir = new TempDirectory();
        var path = dir.File("claims.npz");
        WriteCoo(path, [4, 4], [0], [1], [1f], zip =>
        {
            using var s = zip.CreateEntry("data.npy").Open();
            // A header for 100,000,000 floats, followed by one.
            var one = new MemoryStream();
            NpyWriter.Floats(one, new float[1], 100_000_000);
            s.Write(one.ToArray());
        });
        var e = Refused(path, () => NpzNetworkReader.Read(path));
        Assert.Contains("array \"data\" is truncated: its shape (100000000) needs 400000000 bytes of data, the archive holds 4", e.Message);
    }

    [Fact]
    public void ATruncatedNpyHeaderIsOneError()
    {
        using var dir = new TempDirectory();
        var path = dir.File("header.npz");
        WriteCoo(path, [4, 4], [0], [1], [1f], zip =>
        {
            using var s = zip.CreateEntry("data.npy").Open();
            s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 0x40]);
        });
        Assert.Contains("array \"data\" is truncated in its header", Refused(path, () => NpzNetworkReader.Read(path)).Message);
    }

    [Fact]
    public void AZipBombIsRefusedFromTheSizesTheArchiveDeclares()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bomb.npz");
        // 100 MB of zero weights deflate to about 100 KB: within deflate's reach, far beyond real data's.
        const int count = 25_000_000;
        WriteCoo(path, [5000, 5000], [0], [1], [1f], zip =>
        {
            using var s = zip.CreateEntry("data.npy", CompressionLevel.Optimal).Open();
            var header = new MemoryStream();
            NpyWriter.Floats(header, [], count);
            s.Write(header.ToArray().AsSpan(0, (int)header.Length));
            var zeros = new byte[1 << 20];
            for (long left = 4L * count; left > 0; left -= zeros.Length) s.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
        });
        Assert.InRange(new FileInfo(path).Length, 1, 1 << 20);
        var e = Refused(path, () => NpzNetworkReader.Read(path));
        Assert.Contains("its arrays declare", e.Message);
        Assert.Contains("refused as a decompression bomb", e.Message);
    }

    [Fact]
    public void AnEntryThatDecompressesBeyondItsDeclaredSizeIsReadOnlyUpToIt()
    {
        using var dir = new TempDirectory();
        var path = dir.File("lying.npz");
        WriteCoo(path, [4, 4], [0, 1], [1, 2], [1f, 2f], level: CompressionLevel.NoCompression);
        // Declare data.npy 4 bytes shorter in the central directory than it is (the local header keeps the truth).
        var bytes = File.ReadAllBytes(path);
        int central = FindCentralEntry(bytes, "data.npy");
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(central + 24));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(central + 24), size - 4);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SpDnnDataException>(() => NpzNetworkReader.Read(path));
        Assert.Equal(path, e.File);
        Assert.Contains("array \"data\"", e.Message);
    }

    private static int FindCentralEntry(byte[] zip, string name)
    {
        var nameBytes = System.Text.Encoding.ASCII.GetBytes(name);
        for (int at = zip.Length - 46; at >= 0; at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(at)) != 0x02014b50) continue;
            int length = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 28));
            if (zip.AsSpan(at + 46, length).SequenceEqual(nameBytes)) return at;
        }
        throw new InvalidOperationException($"{name} is not in the archive");
    }

    // --- ONNX ----------------------------------------------------------------------------------

    /// <summary>x [batch, features] -> MatMul by W -> y, with W built by <paramref name="weights"/>.</summary>
    private static string SaveModel(TempDirectory dir, Action<Proto.GraphProto> weights, string name = "m.onnx")
    {
        var g = new Proto.GraphProto { Name = "hostile" };
        g.Input.Add(new Proto.ValueInfoProto { Name = "x" });
        g.Node.Add(new Proto.NodeProto { OpType = "MatMul", Name = "fc", Input = { "x", "W" }, Output = { "y" } });
        g.Output.Add(new Proto.ValueInfoProto { Name = "y" });
        weights(g);
        var model = new Proto.ModelProto { IrVersion = 8, Graph = g };
        model.OpsetImport.Add(new Proto.OperatorSetIdProto { Version = 13 });
        var path = dir.File(name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    [Fact]
    public void ASparseInitializerOfHugeShapeIsRefusedBeforeItsOffsets()
    {
        using var dir = new TempDirectory();
        var path = SaveModel(dir, g =>
        {
            var values = new Proto.TensorProto { Name = "W", DataType = 1, Dims = { 1 }, FloatData = { 0.5f } };
            var indices = new Proto.TensorProto { Name = "W_indices", DataType = 7, Dims = { 1 }, Int64Data = { 3 } };
            g.SparseInitializer.Add(new Proto.SparseTensorProto { Values = values, Indices = indices, Dims = { 2_000_000_000, 4 } });
        });
        var e = Refused(path, () => OnnxModelReader.Read(path));
        Assert.Contains("sparse initializer \"W\" of shape [2000000000, 4]: 2000000000 rows but at most 1 entries", e.Message);
    }

    [Fact]
    public void ADenseInitializerDeclaringMoreThanItHoldsIsRefusedBeforeAllocating()
    {
        using var dir = new TempDirectory();
        var path = SaveModel(dir, g => g.Initializer.Add(new Proto.TensorProto { Name = "W", DataType = 1, Dims = { 40_000, 40_000 }, FloatData = { 1f } }));
        Assert.Contains("tensor \"W\" holds 1 values, its shape [40000, 40000] needs 1600000000", Refused(path, () => OnnxModelReader.Read(path)).Message);
        path = SaveModel(dir, g => g.Initializer.Add(new Proto.TensorProto { Name = "W", DataType = 1, Dims = { 40_000, 40_000 }, RawData = ByteString.CopyFrom(new byte[8]) }), "raw.onnx");
        Assert.Contains("more than", Refused(path, () => OnnxModelReader.Read(path)).Message);
    }

    private static Proto.TensorProto External(string location, params (string Key, string Value)[] more)
    {
        var w = new Proto.TensorProto { Name = "W", DataType = 1, Dims = { 2, 2 }, DataLocation = Proto.TensorProto.Types.DataLocation.External };
        w.ExternalData.Add(new Proto.StringStringEntryProto { Key = "location", Value = location });
        foreach (var (key, value) in more) w.ExternalData.Add(new Proto.StringStringEntryProto { Key = key, Value = value });
        return w;
    }

    [Theory]
    [InlineData("length", "1000000000", "reads 1000000000 bytes from byte 0 of \"w.bin\", which has 16 (truncated external data)")]
    [InlineData("offset", "-8", "external-data offset \"-8\", expected a non-negative integer")]
    [InlineData("length", "lots", "external-data length \"lots\", expected a non-negative integer")]
    [InlineData("offset", "4", "holds 12 bytes of external data in \"w.bin\", its shape [2, 2] needs 16")]
    public void ExternalDataOutsideItsFileOrOfTheWrongSizeIsNamed(string key, string value, string expected)
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("w.bin"), new byte[16]);
        var path = SaveModel(dir, g => g.Initializer.Add(External("w.bin", (key, value))));
        var e = Refused(path, () => OnnxModelReader.Read(path));
        Assert.Contains("tensor \"W\"", e.Message);
        Assert.Contains(expected, e.Message);
    }

    // --- through the CLI -----------------------------------------------------------------------

    [Fact]
    public void TheCliStopsEachWithExitTwoOneLineAndNoOutput()
    {
        using var dir = new TempDirectory();
        var idx = dir.File("huge-images.idx");
        File.WriteAllBytes(idx, Idx(0x803, [1024, 1024, 1024], new byte[100]));
        var npz = dir.File("wide.npz");
        WriteCoo(npz, [2_000_000_000, 4], [0], [1], [1f]);
        var onnx = SaveModel(dir, g => g.Initializer.Add(External("missing.bin")));
        foreach (var input in new[] { idx, npz, onnx })
        {
            var output = dir.File(Path.GetFileNameWithoutExtension(input) + "-out.bin");
            var run = CliHost.Run("convert", "--input", input, "--output", output);
            Assert.Equal(2, run.ExitCode);
            var line = Assert.Single(run.Error.Trim().Split('\n'));
            Assert.StartsWith("error: " + input, line);
            Assert.False(File.Exists(output));
        }
        var infer = CliHost.Run("infer", "--model", ModelTestData.SmallModel, "--images", idx, "--engine", "cpu", "--predictions-out", dir.File("pred.txt"));
        Assert.Equal(2, infer.ExitCode);
        Assert.Contains("truncated IDX file", infer.Error);
        Assert.False(File.Exists(dir.File("pred.txt")));
    }
}
