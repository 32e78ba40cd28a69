using SpDnn.Engines.Gpu;

namespace SpDnn.Tests.Engines.Gpu;

public sealed class StageCopiesTests
{
    [Theory]
    [InlineData(8192, 14500, 6304)] // the general 16384 layer's parts on the H200: 77% of the inputs get a copy
    [InlineData(75, 14500, 72)]     // whole blocks of eight only
    [InlineData(8192, 8192, 0)]     // no room
    [InlineData(100, 0, 0)]         // off
    public void CopiesFillTheRoomTheStageLeavesInWholeBlocksOfEight(int inputs, int capacity, int expected)
    {
        Assert.Equal(expected, StageCopies.Count(inputs, capacity));
    }

    [Fact]
    public void EachCopyLiesPastTheInputsOnAnotherBankGroupAndNoTwoShareAPlace()
    {
        const int Inputs = 8190;
        int copies = StageCopies.Count(Inputs, 14500);
        var places = new HashSet<int>();
        for (int i = 0; i < copies; i++)
        {
            int place = StageCopies.Position(i, Inputs);
            Assert.InRange(place, 8192, 8192 + copies - 1);
            Assert.NotEqual(i % StageCopies.BankGroups, place % StageCopies.BankGroups);
            Assert.True(places.Add(place));
        }
    }

    [Fact]
    public void QuarterWarpsReadFewerBankGroupsTwiceAndEverySlotKeepsItsValue()
    {
        // One warp, 64 rows of random inputs (some zero weights): the assignment keeps every
        // slot on its input or that input's copy, zero weights on an address another lane
        // reads, and spreads the quarter-warps' reads over the bank groups.
        const int Inputs = 4096, Rows = 64;
        var random = new Random(7);
        var index = new ushort[Rows * 32];
        var value = new float[Rows * 32];
        for (int s = 0; s < index.Length; s++)
        {
            index[s] = (ushort)random.Next(Inputs);
            value[s] = random.Next(10) == 0 ? 0f : (float)random.NextDouble() + 0.1f;
        }
        var before = (ushort[])index.Clone();
        int copies = StageCopies.Count(Inputs, 14500);
        StageCopies.Assign(index, value, 0, Rows, Inputs, copies, (row, lane) => row * 32 + lane);

        int wavefrontsBefore = 0, wavefrontsAfter = 0;
        for (int row = 0; row < Rows; row++)
        {
            for (int phase = 0; phase < 32; phase += 8)
            {
                var slots = Enumerable.Range(row * 32 + phase, 8).ToArray();
                foreach (int s in slots)
                {
                    if (value[s] == 0f)
                        Assert.Contains(index[s], slots.Where(o => value[o] != 0f).Select(o => index[o]).DefaultIfEmpty((ushort)0));
                    else if (index[s] != before[s])
                        Assert.Equal(StageCopies.Position(before[s], Inputs), index[s]);
                }
                wavefrontsBefore += Wavefronts(slots.Select(s => (int)before[s]));
                wavefrontsAfter += Wavefronts(slots.Select(s => (int)index[s]));
            }
        }
        // Random reads: ~2.6 wavefronts a quarter-warp; with a copy for every input, ~1.7.
        Assert.True(wavefrontsAfter < 0.7 * wavefrontsBefore, $"{wavefrontsAfter} against {wavefrontsBefore}");
    }

    /// <summary>Wavefronts a quarter-warp's 16-byte reads take: the most distinct addresses on one bank group.</summary>
    private static int Wavefronts(IEnumerable<int> places) =>
        places.Distinct().GroupBy(p => p % StageCopies.BankGroups).Max(g => g.Count());
}
