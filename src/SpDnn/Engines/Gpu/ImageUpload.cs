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
    /// <summary>One bit per pixel, kept as bits in the feature buffer: the first layer reads them (<see cref="ImageBitsKernel"/>).</summary>
    Bits,
}

/// <summary>
/// Puts an image batch into a device feature buffer (neuron-major, column = image). Images whose
/// nonzeros all share one value (the challenge's binary images) travel as bits: N / 8 bytes
/// an image instead of 8 bytes a nonzero (0.49 GB instead of ~6 GB for the 60000 images of
/// N = 65536), by tiles of 32 images (tile t's word of neuron i at t * N + i, bit b for image
/// 32 t + b: what <see cref="ImageBitsKernel"/> reads), and either stay so in the feature buffer
/// or are expanded there on the device; other batches travel as sparse rows.
/// </summary>
internal static class ImageUpload
{
    /// <summary>Bits pay once a bit per pixel is smaller than a 4-byte index per nonzero (expanded), or always when the first layer reads them.</summary>
    private const int BitmapDensityDivisor = 32;

    /// <summary>
    /// Uploads <paramref name="images"/>; with <paramref name="keepBits"/> binary images stay bits
    /// (<see cref="ImageEncoding.Bits"/>, <paramref name="value"/>: their one value) for a first
    /// layer that reads them; else the features hold the images' values.
    /// </summary>
    public static ImageEncoding Upload(GpuDevice device, AcceleratorStream stream, CsrMatrix images,
        ArrayView<float> features, long stride, int neurons, bool keepBits, out float value)
    {
        value = 0f;
        int rows = images.Rows;
        long nnz = images.NonZeros;
        int words = (neurons + 31) / 32;
        long tiles = (stride + 31) / 32;
        long length = tiles * neurons;
        long expandThreads = stride * words;
        bool dense = nnz * BitmapDensityDivisor >= (long)rows * neurons;
        if (nnz > 0 && (keepBits || dense) && expandThreads <= int.MaxValue && length <= Array.MaxLength)
        {
            float shared = images.Values[0];
            var bits = device.TakeBitmapScratch(length);
            try
            {
                if (TryBuildBits(images, neurons, shared, bits, (int)tiles))
                {
                    var source = new ReadOnlySpan<uint>(bits, 0, (int)length);
                    value = shared;
                    if (keepBits)
                    {
                        features.Cast<uint>().SubView(0, length).CopyFromCPU(stream, source);
                        stream.Synchronize();
                        return ImageEncoding.Bits;
                    }
                    using var bitsBuffer = device.Accelerator.Allocate1D<uint>(length);
                    bitsBuffer.View.CopyFromCPU(stream, source);
                    device.ExpandBitmap(stream, (int)expandThreads, new BitmapArgs
                    {
                        Features = features,
                        Bits = bitsBuffer.View,
                        Words = words,
                        Neurons = neurons,
                        Columns = (int)stride,
                        Stride = stride,
                        Value = shared,
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
    /// The images' bits by tiles of 32 (tile t's word of neuron i at t * <paramref name="neurons"/> + i;
    /// images past the batch read zero), built in parallel over tiles into <paramref name="bits"/>,
    /// as long as every value equals <paramref name="value"/> bit for bit (so -0 and 0 differ, and
    /// NaNs compare by payload): one pass over the images, which a batch of other values leaves at
    /// its first differing row (false).
    /// </summary>
    internal static bool TryBuildBits(CsrMatrix images, int neurons, float value, uint[] bits, int tiles)
    {
        int expected = BitConverter.SingleToInt32Bits(value);
        int differs = 0;
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, tiles, 8), (range, state) =>
        {
            for (int tile = range.Item1; tile < range.Item2; tile++)
            {
                var words = bits.AsSpan((int)((long)tile * neurons), neurons);
                words.Clear();
                int end = Math.Min(images.Rows, 32 * tile + 32);
                for (int image = 32 * tile; image < end; image++)
                {
                    if (MemoryMarshal.Cast<float, int>(images.RowValues(image)).IndexOfAnyExcept(expected) >= 0 || Volatile.Read(ref differs) != 0)
                    {
                        Volatile.Write(ref differs, 1);
                        state.Stop();
                        return;
                    }
                    uint bit = 1u << (image & 31);
                    foreach (int neuron in images.RowIndices(image)) words[neuron] |= bit;
                }
            }
        });
        return differs == 0;
    }
}
