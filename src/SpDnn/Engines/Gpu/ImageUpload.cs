using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>How an image batch travelled to the device.</summary>
internal enum ImageEncoding
{
    /// <summary>No nonzeros: the features were only cleared.</summary>
    Empty,
    /// <summary>One bit per pixel, expanded on the device: every nonzero has the same value (binary images).</summary>
    Bitmap,
    /// <summary>Row offsets, neuron indices and values, scattered on the device.</summary>
    SparseRows,
}

/// <summary>
/// Puts an image batch into a device feature buffer (neuron-major, column = image). Images whose
/// nonzeros all share one value (the challenge's binary images) travel as a bitmap: N / 8 bytes
/// an image instead of 8 bytes a nonzero (0.49 GB instead of ~6 GB for the 60000 images of
/// N = 65536), expanded on the device; other batches travel as sparse rows.
/// </summary>
internal static class ImageUpload
{
    /// <summary>A bitmap pays once a bit per pixel is smaller than a 4-byte index per nonzero.</summary>
    private const int BitmapDensityDivisor = 32;

    public static ImageEncoding Upload(GpuDevice device, AcceleratorStream stream, CsrMatrix images,
        ArrayView<float> features, long stride, int neurons)
    {
        int rows = images.Rows;
        long nnz = images.NonZeros;
        int words = (neurons + 31) / 32;
        long bitmapThreads = stride * words;
        if (nnz > 0 && bitmapThreads <= int.MaxValue && nnz * BitmapDensityDivisor >= (long)rows * neurons)
        {
            float value = images.Values[0];
            long length = (long)rows * words;
            var bits = device.TakeBitmapScratch(length);
            try
            {
                if (TryBuildBitmap(images, words, value, bits))
                {
                    using var bitsBuffer = device.Accelerator.Allocate1D<uint>(length);
                    bitsBuffer.View.CopyFromCPU(stream, new ReadOnlySpan<uint>(bits, 0, (int)length));
                    device.ExpandBitmap(stream, (int)bitmapThreads, new BitmapArgs
                    {
                        Features = features,
                        Bits = bitsBuffer.View,
                        Images = rows,
                        Words = words,
                        Neurons = neurons,
                        Columns = (int)stride,
                        Stride = stride,
                        Value = value,
                    });
                    stream.Synchronize();
                    return ImageEncoding.Bitmap;
                }
            }
            finally
            {
                device.ReturnBitmapScratch(bits);
            }
        }
        features.MemSetToZero(stream);
        if (nnz == 0) return ImageEncoding.Empty;
        using var offsets = device.Accelerator.Allocate1D(images.RowOffsets);
        using var neuron = device.Accelerator.Allocate1D(images.ColumnIndices);
        using var values = device.Accelerator.Allocate1D(images.Values);
        device.ScatterRows(stream, new KernelConfig(rows, ImageKernels.RowGroupSize), new ImageRowsArgs
        {
            Features = features,
            RowOffsets = offsets.View,
            Neuron = neuron.View,
            Value = values.View,
            Stride = stride,
        });
        stream.Synchronize();
        return ImageEncoding.SparseRows;
    }

    /// <summary>
    /// Image-major bits, each image's <paramref name="words"/> words, built in parallel over images
    /// into <paramref name="bits"/>, as long as every value equals <paramref name="value"/> bit for
    /// bit (so -0 and 0 differ, and NaNs compare by payload): one pass over the images, which a
    /// batch of other values leaves at its first differing row (false).
    /// </summary>
    internal static bool TryBuildBitmap(CsrMatrix images, int words, float value, uint[] bits)
    {
        int expected = BitConverter.SingleToInt32Bits(value);
        int differs = 0;
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, images.Rows, 256), (range, state) =>
        {
            for (int image = range.Item1; image < range.Item2; image++)
            {
                if (MemoryMarshal.Cast<float, int>(images.RowValues(image)).IndexOfAnyExcept(expected) >= 0 || Volatile.Read(ref differs) != 0)
                {
                    Volatile.Write(ref differs, 1);
                    state.Stop();
                    return;
                }
                var row = bits.AsSpan(image * words, words);
                row.Clear();
                // Indices ascend within a row: gather a word's bits and store it once.
                int current = -1;
                uint word = 0;
                foreach (int neuron in images.RowIndices(image))
                {
                    int w = neuron >> 5;
                    if (w != current)
                    {
                        if (current >= 0) row[current] = word;
                        current = w;
                        word = 0;
                    }
                    word |= 1u << (neuron & 31);
                }
                if (current >= 0) row[current] = word;
            }
        });
        return differs == 0;
    }
}
