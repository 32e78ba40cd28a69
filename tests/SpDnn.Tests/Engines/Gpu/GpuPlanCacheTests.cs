using System.Buffers.Binary;
using SpDnn.Engines;
using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// The GPU engine's plan cache (<see cref="InferenceOptions.PlanCacheFolder"/>), on ILGPU's CPU
/// simulator: a second plan reads the file and runs bit-identical to the reference; a damaged,
/// truncated or stale file is reported once, never used, planned again and replaced.
/// </summary>
/// <remarks>
/// The cache is read and written while planning, so steps that only set up or check the file
/// plan without running (<see cref="PlanOnly"/>: the simulator takes seconds a run); a run is
/// kept, bit for bit against the reference, where a plan read from the file, partly re-planned
/// after a damaged chunk, or written for a changed network is what runs.
/// </remarks>
public sealed class GpuPlanCacheTests
{
    private const int Neurons = 96, Layers = 5;

    private static readonly RandomNetworkOptions Shape = new() { Neurons = Neurons, Layers = Layers, MinWeight = -1f, MaxWeight = 1f, MinBias = -0.25f, MaxBias = 0.25f };

    private static InMemoryNetwork Network(int seed = 5) => InMemoryNetwork.Load(new RandomNetworkGenerator(seed, Shape));

    private static readonly ImageBatch Images = RandomNetworkGenerator.RandomImages(5, 24, Neurons, 0.3, 2f, binary: false);

    // Two layers a chunk: three chunks, so that a damaged chunk can lie after good ones.
    private static GpuEngine Engine() => new(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, Kernel = FullWidthKernel.Tiled, LayersPerChunk = 2 });

    /// <summary>Plans and runs once with the cache; returns the result, the plan's cache state and the notes.</summary>
    private static (InferenceResult Result, string CacheState, List<string> Notes) Run(string folder, InMemoryNetwork? network = null)
    {
        var notes = new List<string>();
        var options = new InferenceOptions { KeepFinalFeatures = true, PlanCacheFolder = folder, Note = notes.Add };
        using var engine = Engine();
        var result = engine.Infer(network ?? Network(), Images, options);
        return (result, result.Details["planCache"], notes);
    }

    /// <summary>
    /// Plans with the cache without running, until every chunk is planned or read and the file
    /// written (the writer ends when the plan is disposed); returns the disposed plan (its figures
    /// stay readable), its cache state and the notes.
    /// </summary>
    private static (GpuPlan Plan, string CacheState, List<string> Notes) PlanOnly(string folder, ILayerSource? network = null)
    {
        var notes = new List<string>();
        var options = new InferenceOptions { PlanCacheFolder = folder, Note = notes.Add };
        using var engine = Engine();
        var plan = (GpuPlan)engine.Plan(network ?? Network(), options);
        using (plan) plan.WaitComplete();
        return (plan, plan.CacheState, notes);
    }

    /// <summary>The file left in the folder is whole: the next plan reads it without a note.</summary>
    private static void AssertWholeFileIsRead(string folder, string path)
    {
        var (_, state, notes) = PlanOnly(folder);
        Assert.Empty(notes);
        Assert.Equal($"read {path}", state);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    private static void AssertReferenceBits(InferenceResult actual, InMemoryNetwork? network = null)
    {
        var expected = EngineConformanceTests.RunReference(network ?? Network(), Images);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(expected.Weights, actual.Weights);
    }

    private static string CacheFile(string folder) => Assert.Single(Directory.GetFiles(folder, "*.plan"));

    private static PlanCacheFormat.Header Header(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return PlanCacheFormat.ReadHeader(bytes, bytes.Length, out var problem) ?? throw new InvalidOperationException(problem);
    }

    [Fact]
    public void ASecondPlanReadsTheFileAndRunsBitIdentical()
    {
        using var dir = new TempDirectory();
        // Written while planning; a plan written and run is ANetworkWithOneWeightChangedGetsAFileOfItsOwn's.
        var (first, firstState, firstNotes) = PlanOnly(dir.Path);
        Assert.StartsWith("written ", firstState);
        Assert.Empty(firstNotes);
        string path = CacheFile(dir.Path);
        Assert.Equal(3, Header(path).Chunks.Length);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));

        var (second, secondState, secondNotes) = Run(dir.Path);
        Assert.Equal($"read {path}", secondState);
        Assert.Empty(secondNotes);
        AssertReferenceBits(second);
        Assert.Equal(first.PaddingRatio.ToString("F6", System.Globalization.CultureInfo.InvariantCulture), second.Details["padding"]);
        Assert.Equal(first.WarpRowCount.ToString(System.Globalization.CultureInfo.InvariantCulture), second.Details["warpRows"]);
    }

    [Fact]
    public void ADamagedChunkIsReportedOncePlannedAgainAndReplaced()
    {
        using var dir = new TempDirectory();
        PlanOnly(dir.Path);
        string path = CacheFile(dir.Path);
        // One byte of the last chunk's slot values: chunks 1 and 2 check out and are used.
        var last = Header(path).Chunks[^1];
        var bytes = File.ReadAllBytes(path);
        bytes[last.Offsets[ChunkArrays.SlotValue] + 5] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        var (result, state, notes) = Run(dir.Path);
        var note = Assert.Single(notes);
        Assert.Contains("chunk 3's slot values do not match their checksum", note);
        Assert.StartsWith("replaced ", state);
        AssertReferenceBits(result);

        // The file was replaced by a whole one: read without a note (a plan read and run is ASecondPlanReadsTheFileAndRunsBitIdentical's).
        AssertWholeFileIsRead(dir.Path, path);
    }

    [Fact]
    public void ATruncatedFileIsReportedAndPlannedAgain()
    {
        using var dir = new TempDirectory();
        PlanOnly(dir.Path);
        string path = CacheFile(dir.Path);
        using (var file = new FileStream(path, FileMode.Open)) file.SetLength(file.Length - 100);

        // Nothing of the file is used: planned anew and written, as a first plan is.
        var (_, state, notes) = PlanOnly(dir.Path);
        Assert.Contains("truncated", Assert.Single(notes));
        Assert.StartsWith("replaced ", state);
        AssertWholeFileIsRead(dir.Path, path);
    }

    [Fact]
    public void ADamagedHeaderIsReportedAndPlannedAgain()
    {
        using var dir = new TempDirectory();
        PlanOnly(dir.Path);
        string path = CacheFile(dir.Path);
        var bytes = File.ReadAllBytes(path);
        bytes[PlanCacheFormat.FixedBytes + 3] ^= 1; // in the key text
        File.WriteAllBytes(path, bytes);

        var (_, state, notes) = PlanOnly(dir.Path);
        Assert.Contains("damaged header", Assert.Single(notes));
        Assert.StartsWith("replaced ", state);
        AssertWholeFileIsRead(dir.Path, path);
    }

    [Fact]
    public void AFileOfAnotherBuildIsStaleAndReplaced()
    {
        using var dir = new TempDirectory();
        PlanOnly(dir.Path);
        string path = CacheFile(dir.Path);
        var header = Header(path);
        // The same file as another build of SpDnn would have written it: another module version id.
        string build = typeof(GpuPlan).Assembly.ManifestModule.ModuleVersionId.ToString();
        string other = Guid.NewGuid().ToString();
        var bytes = File.ReadAllBytes(path);
        int headerBytes = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        PlanCacheFormat.WriteHeader(bytes.AsSpan(0, headerBytes), bytes.Length, header.Key.Replace(build, other), header.Layers, header.Chunks);
        File.WriteAllBytes(path, bytes);

        var (_, state, notes) = PlanOnly(dir.Path);
        var note = Assert.Single(notes);
        Assert.Contains("stale", note);
        Assert.Contains(other, note);
        Assert.StartsWith("replaced ", state);
        Assert.Contains(build, Header(path).Key);
        AssertWholeFileIsRead(dir.Path, path);
    }

    [Fact]
    public void AnotherFormatVersionIsStale()
    {
        using var dir = new TempDirectory();
        PlanOnly(dir.Path);
        string path = CacheFile(dir.Path);
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), PlanCacheFormat.Version + 1);
        File.WriteAllBytes(path, bytes);

        var (_, state, notes) = PlanOnly(dir.Path);
        Assert.Contains("format version", Assert.Single(notes));
        Assert.StartsWith("replaced ", state);
        AssertWholeFileIsRead(dir.Path, path);
    }

    [Fact]
    public void ReadingTheImagesAsBitsOrNotIsPartOfTheKey()
    {
        // A plan made with bits=on has the first layer's bit layout and flag: bits=off must not read it.
        var network = Network();
        var parallel = new ParallelOptions();
        var on = PlanCacheKey.For(network, new GpuEngineOptions(), 0, 0, false, 0, 0, parallel);
        var off = PlanCacheKey.For(network, new GpuEngineOptions { ImageBits = false }, 0, 0, false, 0, 0, parallel);
        Assert.NotEqual(on.FileName, off.FileName);
        Assert.Contains("bits=true", on.Text);
    }

    [Fact]
    public void WhichLayersHaveTheTailsLayoutIsPartOfTheKey()
    {
        // tail=on gives every layer with a resident-input layout the tail's, tail=auto only some:
        // with the same tail width, neither may read the other's plan.
        var network = Network();
        var parallel = new ParallelOptions();
        var auto = PlanCacheKey.For(network, new GpuEngineOptions(), 4, 0, false, 4, 0, parallel);
        var on = PlanCacheKey.For(network, new GpuEngineOptions { TailProgram = TailProgramLayers.On }, 4, 0, false, 4, 0, parallel);
        Assert.NotEqual(auto.FileName, on.FileName);
        Assert.Contains("tail-layers=auto", auto.Text);
    }

    [Fact]
    public void ANetworkWithOneWeightChangedGetsAFileOfItsOwn()
    {
        using var dir = new TempDirectory();
        PlanOnly(dir.Path);
        var network = Network();
        var layers = Enumerable.Range(0, Layers).Select(network.GetLayer).ToArray();
        var w = layers[3].Weights;
        var values = (float[])w.Values.Clone();
        values[7] = -values[7];
        layers[3] = layers[3] with { Weights = new CsrMatrix(w.Rows, w.Columns, w.RowOffsets, w.ColumnIndices, values) };
        var changed = new InMemoryNetwork(layers);

        var (result, state, notes) = Run(dir.Path, changed);
        Assert.Empty(notes);
        Assert.StartsWith("written ", state);
        AssertReferenceBits(result, changed);
        Assert.Equal(2, Directory.GetFiles(dir.Path, "*.plan").Length);
    }

    [Fact]
    public void ABinaryNetworkFileRewrittenWithOneWeightChangedNeverReadsThePlanOfTheOldOne()
    {
        // The key of a binary file comes from its index (every layer's checksum), not its weights:
        // a second run reads the cache without reading the layers, and a rewritten file is keyed anew.
        using var dir = new TempDirectory();
        string cache = Path.Combine(dir.Path, "plans"), path = Path.Combine(dir.Path, "net.bin");
        var network = Network();
        SpDnn.Formats.NetworkWriter.Write(network, path, SpDnn.Formats.StorageFormat.Binary);
        // Planned only: a plan read from the file and run is ASecondPlanReadsTheFileAndRunsBitIdentical's;
        // the run kept here is the rewritten file's, which must follow its new weights.
        using (var file = SpDnn.Formats.NetworkLoader.Open(path)) Assert.StartsWith("written ", PlanOnly(cache, file).CacheState);
        using (var file = SpDnn.Formats.NetworkLoader.Open(path))
        {
            var (_, state, notes) = PlanOnly(cache, file);
            Assert.StartsWith("read ", state);
            Assert.Empty(notes);
        }

        var layers = Enumerable.Range(0, Layers).Select(network.GetLayer).ToArray();
        var w = layers[4].Weights;
        var values = (float[])w.Values.Clone();
        values[^1] = -values[^1];
        layers[4] = layers[4] with { Weights = new CsrMatrix(w.Rows, w.Columns, w.RowOffsets, w.ColumnIndices, values) };
        var changed = new InMemoryNetwork(layers);
        File.Delete(path);
        SpDnn.Formats.NetworkWriter.Write(changed, path, SpDnn.Formats.StorageFormat.Binary);
        var (result, changedState, changedNotes) = RunFile(cache, path);
        Assert.StartsWith("written ", changedState);
        Assert.Empty(changedNotes);
        AssertReferenceBits(result, changed);
        Assert.Equal(2, Directory.GetFiles(cache, "*.plan").Length);
    }

    /// <summary><see cref="Run"/> on a network read from its binary file as <c>spdnn infer</c> reads it (layers read while planning).</summary>
    private static (InferenceResult Result, string CacheState, List<string> Notes) RunFile(string folder, string path)
    {
        var notes = new List<string>();
        var options = new InferenceOptions { KeepFinalFeatures = true, PlanCacheFolder = folder, Note = notes.Add };
        using var network = SpDnn.Formats.NetworkLoader.Open(path);
        using var engine = Engine();
        var result = engine.Infer(network, Images, options);
        return (result, result.Details["planCache"], notes);
    }

    [Fact]
    public void TheChecksumIsOfTheContentNotTheSource()
    {
        var network = Network();
        var copy = new InMemoryNetwork(Enumerable.Range(0, Layers).Select(k => network.GetLayer(k)).ToArray(), "another description");
        Assert.Equal(NetworkChecksum.Of(network), NetworkChecksum.Of(copy));
        Assert.NotEqual(NetworkChecksum.Of(network), NetworkChecksum.Of(Network(seed: 6)));
        Assert.NotEqual(NetworkChecksum.Of(network), NetworkChecksum.Of(network.Take(Layers - 1)));
    }
}
