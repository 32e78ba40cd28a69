using SpDnn.Engines.Gpu;

namespace SpDnn.Tests.Engines.Gpu;

public sealed class LayerKernelTests
{
    [Fact]
    public void FloatQuotientEqualsIntegerDivisionForEveryStagingEntry()
    {
        // Every entry the staging loop can form: up to 512 footprint entries x 16 columns, plus
        // the three unrolled entries past the end that it computes before checking them.
        for (int valid = 1; valid <= LayerKernel.Tile; valid++)
        {
            float inverse = 1f / valid;
            for (int e = 0; e < 1 << 14; e++)
                Assert.Equal(e / valid, LayerKernel.Quotient(e, inverse));
        }
    }
}
