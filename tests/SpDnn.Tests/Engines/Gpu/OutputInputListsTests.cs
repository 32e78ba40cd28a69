using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// The planner's transpose (<see cref="OutputInputLists"/>, scattered through buckets) lists each
/// output's inputs ascending with their weights, as a plain transpose does, by output or grouped
/// by first input, also where the inputs need so many bits that the buckets must be smaller; and
/// copied from a layer's weights by output, the same lists.
/// </summary>
public sealed class OutputInputListsTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ListsAreTheTransposeOfTheLayer(bool grouped)
    {
        var layer = new RandomNetworkGenerator(3, new RandomNetworkOptions { Neurons = 3000, Layers = 1, MeanRowNonZeros = 40, EmptyRowFraction = 0.1 }).GetLayer(0);
        AssertTranspose(layer.Weights, grouped);
    }

    [Fact]
    public void InputsOfManyBitsTakeSmallerBuckets()
    {
        // 2^23 + 5 inputs: 24 bits, leaving 8 for the place in a bucket (buckets of 256 places).
        const int Inputs = (1 << 23) + 5, Outputs = 700;
        var rng = new Random(11);
        var rows = new List<int>();
        var cols = new List<int>();
        foreach (int i in Enumerable.Range(0, 3000).Select(_ => rng.Next(Inputs)).Append(Inputs - 1).Distinct().Order())
        {
            foreach (int j in Enumerable.Range(0, Outputs).Where(_ => rng.Next(4) == 0))
            {
                rows.Add(i);
                cols.Add(j);
            }
        }
        var values = Enumerable.Range(0, rows.Count).Select(e => e * 0.5f - 7f).ToArray();
        var w = CsrMatrix.FromCoordinates(Inputs, Outputs, rows.ToArray(), cols.ToArray(), values);
        AssertTranspose(w, grouped: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ListsCopiedFromTheWeightsByOutputAreTheTransposedOnes(bool grouped)
    {
        // Uneven and empty lists; the same rows, groups and entries as the transpose gives.
        var w = new RandomNetworkGenerator(4, new RandomNetworkOptions { Neurons = 2000, Layers = 1, MeanRowNonZeros = 30, EmptyRowFraction = 0.15 }).GetLayer(0).Weights;
        var layer = new NetworkLayer(0, w, new float[w.Columns]).WithByOutput(w.Transpose());
        using var copied = new OutputInputLists(layer, grouped);
        AssertTranspose(w, grouped, copied);
        using var transposed = new OutputInputLists(w, grouped);
        for (int row = 0; row < w.Columns; row++) Assert.Equal(transposed.OutputAt(row), copied.OutputAt(row));
        if (grouped) Assert.Equal(transposed.GroupStarts.ToArray(), copied.GroupStarts.ToArray());
    }

    private static void AssertTranspose(CsrMatrix w, bool grouped)
    {
        using var lists = new OutputInputLists(w, grouped);
        AssertTranspose(w, grouped, lists);
    }

    private static void AssertTranspose(CsrMatrix w, bool grouped, OutputInputLists lists)
    {
        var expected = new List<OutputInputLists.Entry>[w.Columns];
        for (int j = 0; j < w.Columns; j++) expected[j] = [];
        for (int i = 0; i < w.Rows; i++)
        {
            var indices = w.RowIndices(i);
            var weights = w.RowValues(i);
            for (int e = 0; e < indices.Length; e++) expected[indices[e]].Add(new OutputInputLists.Entry(i, weights[e]));
        }
        int previousGroup = -1, previousOutput = -1;
        for (int row = 0; row < w.Columns; row++)
        {
            int output = lists.OutputAt(row);
            Assert.Equal(expected[output], lists.EntriesAtRow(row).ToArray());
            Assert.Equal(expected[output], lists.Entries(output).ToArray());
            if (!grouped)
            {
                Assert.Equal(row, output);
                continue;
            }
            // Rows by first input (empty lists first), then by output.
            int group = expected[output].Count == 0 ? 0 : expected[output][0].Input + 1;
            Assert.True(group > previousGroup || (group == previousGroup && output > previousOutput));
            (previousGroup, previousOutput) = (group, output);
        }
    }
}
