using ILGPU;
using ILGPU.Runtime;

namespace SpDnn.Engines.Gpu;

/// <summary>Arguments of <see cref="ImageKernels.ExpandBitmap"/>.</summary>
internal struct BitmapArgs
{
    public ArrayView<float> Features;
    /// <summary>Image-major bits: word w of image i at i * Words + w; bit b stands for neuron 32 w + b.</summary>
    public ArrayView<uint> Bits;
    public int Images;
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
    /// One thread per (word, column): writes the word's 32 neurons of its column, every feature
    /// of the buffer once (so no clearing beforehand). Neighbouring threads take neighbouring
    /// columns, so every write of a warp is one coalesced row segment.
    /// </summary>
    public static void ExpandBitmap(Index1D e, BitmapArgs a)
    {
        int column = e % a.Columns;
        int word = e / a.Columns;
        uint bits = column < a.Images ? a.Bits[(long)column * a.Words + word] : 0u;
        int first = word * 32;
        int count = Math.Min(32, a.Neurons - first);
        for (int b = 0; b < count; b++)
            a.Features[(first + b) * a.Stride + column] = ((bits >> b) & 1u) != 0 ? a.Value : 0f;
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
