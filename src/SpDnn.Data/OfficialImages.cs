using SpDnn.Generation;

namespace SpDnn.Data;

/// <summary>The official challenge input images, made exactly from the embedded MNIST digits.</summary>
public static class OfficialImages
{
    /// <summary>
    /// The official images for <paramref name="neurons"/> (a square ≥ 784), the first <paramref name="count"/>
    /// of them; all 60000 digits are transformed whatever the count (<see cref="ChallengeImageGenerator"/>).
    /// </summary>
    public static ChallengeImages Generate(int neurons, int count = MnistTrainingImages.Count, IProgress<double>? progress = null,
        int? maxDegreeOfParallelism = null)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MnistTrainingImages.Count);
        return ChallengeImageGenerator.Generate(MnistTrainingImages.LoadPixels(), neurons, count, progress, maxDegreeOfParallelism,
            $"challenge images N={neurons} (MNIST training digits, Fourier resize)");
    }
}
