using ILGPU;
using ILGPU.Runtime;

namespace SpDnn.Engines.Gpu;

/// <summary>Arguments of <see cref="ImageKernels.ExpandBitmap"/>.</summary>
internal struct BitmapArgs
{
    public ArrayView<float> Features;
    /// <summary>Bits by tiles of 32 images (<see cref="ImageUpload"/>): tile t's word of neuron i at t * Neurons + i, bit b for image 32 t + b.</summary>
    public ArrayView<uint> Bits;
    /// <summary>Words of 32 neurons per column: (Neurons + 31) / 32.</summary>
    public int Words;
    public int Neurons;
    /// <summary>Feature columns per neuron row (images rounded up to a whole tile): the spare ones get zeros.</summary>
    public int Columns;
    public long Stride;
    /// <summary>The one value every nonzero of the batch has.</summary>
    public float Value;
}

/// <summary>Arguments of <see cref="ImageKernels.ScatterRows"/>.</summary>
internal struct ImageRowsArgs
{
    public ArrayView<float> Features;
    public ArrayView<int> RowOffsets;
    public ArrayView<int> Neuron;
    public ArrayView<float> Value;
    public long Stride;
}

/// <summary>Kernels that turn an uploaded image batch into neuron-major features (column = image).</summary>
internal static class ImageKernels
{
    public const int RowGroupSize = 128;

    /// <summary>
    /// One thread per (word of 32 neurons, column): writes those neurons of its column, every
    /// feature of the buffer once (so no clearing beforehand). Neighbouring threads take
    /// neighbouring columns, so every write of a warp is one coalesced row segment, and its
    /// reads of the bits one or two words.
    /// </summary>
    public static void ExpandBitmap(Index1D e, BitmapArgs a)
    {
        int column = e % a.Columns;
        int word = e / a.Columns;
        var tile = a.Bits.SubView((long)(column / 32) * a.Neurons, a.Neurons);
        int bit = column % 32;
        int first = word * 32;
        int count = Math.Min(32, a.Neurons - first);
        for (int b = 0; b < count; b++)
            a.Features[(first + b) * a.Stride + column] = ((tile[first + b] >> bit) & 1u) != 0 ? a.Value : 0f;
    }

    /// <summary>One group per image: writes the image's nonzeros into zeroed features.</summary>
    public static void ScatterRows(ImageRowsArgs a)
    {
        int image = Grid.IdxX;
        int end = a.RowOffsets[image + 1];
        for (int e = a.RowOffsets[image] + Group.IdxX; e < end; e += Group.DimX)
            a.Features[a.Neuron[e] * a.Stride + image] = a.Value[e];
    }
}
