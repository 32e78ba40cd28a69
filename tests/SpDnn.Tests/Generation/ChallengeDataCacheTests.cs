using SpDnn.Data;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Generation;

public sealed class ChallengeDataCacheTests
{
    [Fact]
    public void ImagesAreMadeOnceThenReadBack()
    {
        using var temp = new TempDirectory();
        var path = temp.File("images/sparse-images-64.bin");
        var expected = RandomNetworkGenerator.RandomImages(5, 40, 64);
        int made = 0;
        ImageBatch Make() { made++; return expected; }

        var first = ChallengeDataCache.GetOrCreate(path, _ => true, Make);
        var second = ChallengeDataCache.GetOrCreate(path, _ => true, Make);
        Assert.Equal(1, made);
        Assert.Same(expected, first);
        Assert.True(expected.Features.ContentEquals(second.Features));
        Assert.Contains("cached", second.Description);
    }

    [Fact]
    public void DamagedOrUnexpectedFilesAreMadeAgain()
    {
        using var temp = new TempDirectory();
        var path = temp.File("sparse-images-64.bin");
        var expected = RandomNetworkGenerator.RandomImages(6, 40, 64);
        int made = 0;
        ImageBatch Make() { made++; return expected; }

        ChallengeDataCache.GetOrCreate(path, _ => true, Make);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x5a;
        File.WriteAllBytes(path, bytes);
        var repaired = ChallengeDataCache.GetOrCreate(path, _ => true, Make);
        Assert.Equal(2, made);
        Assert.True(expected.Features.ContentEquals(ChallengeDataCache.GetOrCreate(path, _ => true, Make).Features));
        Assert.Equal(2, made);

        ChallengeDataCache.GetOrCreate(path, images => images.Count == 41, Make);
        Assert.Equal(3, made);
        Assert.Same(expected, repaired);
    }

    [Fact]
    public void FolderFollowsSpdnnDataThenXdg()
    {
        var configured = Environment.GetEnvironmentVariable("SPDNN_DATA");
        if (string.IsNullOrWhiteSpace(configured))
            Assert.EndsWith("spdnn", ChallengeDataCache.DefaultFolder().TrimEnd('/'), StringComparison.Ordinal);
        else
            Assert.Equal(Path.GetFullPath(configured), ChallengeDataCache.DefaultFolder());
        var cache = new ChallengeDataCache("/some/where");
        Assert.Equal(Path.Combine("/some/where", "images", "sparse-images-1024.bin"), cache.ImagesPath(1024));
    }
}
