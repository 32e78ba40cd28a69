using ILGPU;
using ILGPU.Runtime;
using SpDnn.Engines.Gpu;
using SpDnn.Model;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>Image batches reach the device feature buffer exactly, whichever way they travel.</summary>
public sealed class ImageUploadTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FeaturesEqualTheImagesColumnByColumn(bool binary)
    {
        var expected = binary ? ImageEncoding.Bitmap : ImageEncoding.SparseRows;
        // 70 neurons: a partial last word; 37 images in 48 columns: spare columns must read zero
        // even where the buffer held something before (the bitmap path writes every feature).
        const int Neurons = 70, Images = 37, Stride = 48;
        var images = RandomImages(Images, Neurons, binary ? 1f : 0f, seed: 7);
        using var device = GpuDevice.Open(GpuAcceleratorChoice.CpuSimulator);
        using var features = device.Accelerator.Allocate1D<float>((long)Stride * Neurons);
        features.View.CopyFromCPU(Enumerable.Repeat(-3.5f, Stride * Neurons).ToArray());

        var encoding = ImageUpload.Upload(device, device.Accelerator.DefaultStream, images, features.View, Stride, Neurons, keepBits: false, out _);

        Assert.Equal(expected, encoding);
        var actual = features.GetAsArray1D();
        var dense = new float[Stride * Neurons];
        for (int image = 0; image < Images; image++)
        {
            var values = images.RowValues(image);
            var indices = images.RowIndices(image);
            for (int e = 0; e < indices.Length; e++) dense[indices[e] * Stride + image] = values[e];
        }
        Assert.Equal(dense.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void ASharedValueOtherThanOneTravelsAsABitmap()
    {
        var images = RandomImages(9, 64, 0.625f, seed: 3);
        using var device = GpuDevice.Open(GpuAcceleratorChoice.CpuSimulator);
        using var features = device.Accelerator.Allocate1D<float>(16L * 64);

        Assert.Equal(ImageEncoding.Bitmap, ImageUpload.Upload(device, device.Accelerator.DefaultStream, images, features.View, 16, 64, keepBits: false, out _));
        var actual = features.GetAsArray1D();
        for (int image = 0; image < 9; image++)
            foreach (int neuron in images.RowIndices(image)) Assert.Equal(0.625f, actual[neuron * 16 + image]);
        Assert.Equal(images.NonZeros, actual.Count(v => v != 0));
    }

    [Fact]
    public void SparseImagesAndNoNonzerosTakeTheOtherPaths()
    {
        using var device = GpuDevice.Open(GpuAcceleratorChoice.CpuSimulator);
        using var features = device.Accelerator.Allocate1D<float>(16L * 256);
        features.View.CopyFromCPU(Enumerable.Repeat(2f, 16 * 256).ToArray());
        var empty = new CsrMatrix(5, 256, new int[6], [], []);
        Assert.Equal(ImageEncoding.Empty, ImageUpload.Upload(device, device.Accelerator.DefaultStream, empty, features.View, 16, 256, keepBits: true, out _));
        Assert.All(features.GetAsArray1D(), v => Assert.Equal(0f, v));

        // One pixel per image of 256: a bitmap (32 bytes an image) would outweigh its indices.
        var sparse = new CsrMatrix(2, 256, [0, 1, 2], [5, 200], [1f, 1f]);
        Assert.Equal(ImageEncoding.SparseRows, ImageUpload.Upload(device, device.Accelerator.DefaultStream, sparse, features.View, 16, 256, keepBits: false, out _));
        var actual = features.GetAsArray1D();
        Assert.Equal(1f, actual[5 * 16]);
        Assert.Equal(1f, actual[200 * 16 + 1]);
        Assert.Equal(2, actual.Count(v => v != 0));
    }

    [Fact]
    public void BitsAreBuiltByTilesOf32ImagesOnlyWhileEveryValueHasTheSameBits()
    {
        // Image 0 has neurons 1 and 40, image 1 neuron 3, image 33 (tile 1, bit 1) neuron 5.
        var offsets = new int[35];
        offsets[1] = 2;
        for (int r = 2; r <= 33; r++) offsets[r] = 3;
        offsets[34] = 4;
        var ones = new CsrMatrix(34, 64, offsets, [1, 40, 3, 5], [1f, 1f, 1f, 1f]);
        var bits = Enumerable.Repeat(uint.MaxValue, 2 * 64).ToArray(); // what a batch before left
        Assert.True(ImageUpload.TryBuildBits(ones, 64, 1f, bits, tiles: 2));
        var expected = new uint[2 * 64];
        expected[1] = 1u;
        expected[40] = 1u;
        expected[3] = 1u << 1;
        expected[64 + 5] = 1u << 1;
        Assert.Equal(expected, bits);
        // 0 and -0 differ in their bits.
        Assert.False(ImageUpload.TryBuildBits(new CsrMatrix(1, 64, [0, 2], [3, 4], [0f, -0f]), 64, 0f, new uint[64], tiles: 1));
        // A difference in the last of many rows (several parallel ranges) is found.
        const int Rows = 3000;
        var values = Enumerable.Repeat(1f, Rows).ToArray();
        values[^1] = 1.0000001f;
        var late = new CsrMatrix(Rows, 32, [.. Enumerable.Range(0, Rows + 1)], new int[Rows], values);
        Assert.False(ImageUpload.TryBuildBits(late, 32, 1f, new uint[(Rows + 31) / 32 * 32], tiles: (Rows + 31) / 32));
    }

    [Fact]
    public void BinaryImagesKeptAsBitsLieInTheFeatureBufferByTiles()
    {
        const int Neurons = 70, Images = 37, Stride = 48;
        var images = RandomImages(Images, Neurons, 0.75f, seed: 9);
        using var device = GpuDevice.Open(GpuAcceleratorChoice.CpuSimulator);
        using var features = device.Accelerator.Allocate1D<float>((long)Stride * Neurons);
        features.View.CopyFromCPU(Enumerable.Repeat(-3.5f, Stride * Neurons).ToArray());

        Assert.Equal(ImageEncoding.Bits, ImageUpload.Upload(device, device.Accelerator.DefaultStream, images, features.View, Stride, Neurons, keepBits: true, out float value));

        Assert.Equal(0.75f, value);
        var words = features.GetAsArray1D().Select(BitConverter.SingleToUInt32Bits).ToArray();
        for (int image = 0; image < Stride; image++)
        {
            var set = image < Images ? images.RowIndices(image).ToArray() : [];
            for (int neuron = 0; neuron < Neurons; neuron++)
                Assert.Equal(set.Contains(neuron), ((words[image / 32 * Neurons + neuron] >> (image % 32)) & 1u) != 0);
        }
        // A sparse batch too (one pixel in 256, expanded as sparse rows): the first layer reads bits whatever the density.
        var sparse = new CsrMatrix(2, 256, [0, 1, 2], [5, 200], [1f, 1f]);
        Assert.Equal(ImageEncoding.Bits, ImageUpload.Upload(device, device.Accelerator.DefaultStream, sparse, features.View, 16, 256, keepBits: true, out _));
    }

    [Fact]
    public void ADenseBatchWithOneOtherValueTravelsAsSparseRowsAfterABitmapBatch()
    {
        // Batches on one device share the host array bitmaps are built in: a binary batch, then one
        // whose last pixel differs (its bitmap is given up), then a smaller binary one.
        const int Neurons = 70, Stride = 48;
        using var device = GpuDevice.Open(GpuAcceleratorChoice.CpuSimulator);
        using var features = device.Accelerator.Allocate1D<float>((long)Stride * Neurons);
        var first = RandomImages(37, Neurons, 1f, seed: 4);
        var values = first.Values.ToArray();
        values[^1] = 2f;
        var mixed = new CsrMatrix(first.Rows, first.Columns, first.RowOffsets, first.ColumnIndices, values);
        var batches = new[] { (first, ImageEncoding.Bitmap), (mixed, ImageEncoding.SparseRows), (RandomImages(11, Neurons, 1f, seed: 5), ImageEncoding.Bitmap) };
        foreach (var (images, encoding) in batches)
        {
            Assert.Equal(encoding, ImageUpload.Upload(device, device.Accelerator.DefaultStream, images, features.View, Stride, Neurons, keepBits: false, out _));
            var actual = features.GetAsArray1D();
            var dense = new float[Stride * Neurons];
            for (int image = 0; image < images.Rows; image++)
                for (int e = images.RowOffsets[image]; e < images.RowOffsets[image + 1]; e++) dense[images.ColumnIndices[e] * Stride + image] = images.Values[e];
            Assert.Equal(dense, actual);
        }
    }

    /// <summary>Images with ~40% of pixels set: all to <paramref name="shared"/>, or to varied values when it is 0.</summary>
    private static CsrMatrix RandomImages(int rows, int neurons, float shared, int seed)
    {
        var random = new Random(seed);
        var offsets = new List<int> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < neurons; j++)
            {
                if (random.NextDouble() >= 0.4) continue;
                indices.Add(j);
                values.Add(shared != 0 ? shared : (float)(random.NextDouble() * 3 + 0.1));
            }
            offsets.Add(indices.Count);
        }
        return new CsrMatrix(rows, neurons, [.. offsets], [.. indices], [.. values]);
    }
}
