using SpDnn.Engines;
using SpDnn.Engines.Cpu;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Engines;

/// <summary>
/// The layer kernels of every SIMD width against a scalar model of their contract, on tiles with
/// the values that test each comparison: zero sums, sums past the cap, -0, NaN and infinities.
/// </summary>
public sealed unsafe class TileKernelsTests
{
    private const int Width = CpuLayerPlan.TileWidth;

    [Theory]
    [InlineData(CpuSimd.Vector512)]
    [InlineData(CpuSimd.Vector256)]
    [InlineData(CpuSimd.Vector128)]
    public void EveryWidthGivesTheScalarModelsBits(CpuSimd simd)
    {
        var kernels = LayerKernels.Create(simd);
        for (int seed = 0; seed < 12; seed++)
        {
            int n = 37 + 29 * seed;
            var layer = new RandomNetworkGenerator(seed, new RandomNetworkOptions
            {
                Neurons = n,
                Layers = 1,
                MeanRowNonZeros = 1 + seed % 9,
                EmptyRowFraction = 0.1,
                DyadicValues = seed % 3 == 0,
                MinWeight = -1f,
                MaxWeight = 1f,
                MinBias = -0.5f,
                MaxBias = 0.5f,
            }).GetLayer(0);
            var plan = CpuLayerPlan.Build(layer);
            var tile = RandomTile(seed, n, CpuLayerPlan.PaddedLength(n));
            var expected = Model(layer, tile, n);

            int stride = CpuLayerPlan.PaddedLength(n) + Width;
            var outIndex = new int[Width * stride];
            var outValue = new float[Width * stride];
            var counts = new int[Width];
            var sums = new float[tile.Length];
            var inputs = Enumerable.Range(0, n).Where(i => Enumerable.Range(0, Width).Any(l => tile[i * Width + l] != 0f)).ToArray();
            fixed (float* t = tile, s = sums, v = outValue)
            fixed (int* u = inputs, x = outIndex, c = counts)
            {
                kernels.ScatterTile(plan, u, inputs.Length, t, s, x, v, stride, c);
                AssertLanes(expected, 0, n, outIndex, outValue, counts, stride, $"{simd} scatter, seed {seed}");
                Assert.All(sums, z => Assert.Equal(0f, z));

                Array.Clear(counts);
                kernels.GatherTile(plan, 0, n, t, x, v, stride, c);
                AssertLanes(expected, 0, n, outIndex, outValue, counts, stride, $"{simd} gather, seed {seed}");

                // A share of the outputs, as when workers split a tile.
                int j0 = Width, j1 = Math.Min(3 * Width, n);
                Array.Clear(counts);
                kernels.GatherTile(plan, j0, j1, t, x, v, stride, c);
                AssertLanes(expected, j0, j1, outIndex, outValue, counts, stride, $"{simd} gather {j0}..{j1}, seed {seed}");
            }
        }
    }

    [Theory]
    [InlineData(CpuSimd.Vector512)]
    [InlineData(CpuSimd.Vector256)]
    [InlineData(CpuSimd.Vector128)]
    public void DenseTileKernelsGiveTheScalarModelsBitsForOneTwoAndFourTiles(CpuSimd simd)
    {
        // The tile order's kernels: column groups for one, two and four tiles, and the scatter,
        // each writing whole dense output tiles; every layer form, tiles holding NaN, ±∞ and -0.
        // Output tiles start with junk: a first input range must not read what they held. Also the
        // groups without some inputs (DeadInputs), on tiles that hold ±0 on those inputs.
        var kernels = LayerKernels.Create(simd);
        for (int seed = 0; seed < 8; seed++)
        {
            var network = Support.RandomGeneralNetwork.Create(seed, dyadic: seed % 4 == 0, ReadOut.Class, layers: 4);
            // One input range, and ranges of at most 7 inputs (the wide layers' cache blocking) whose unfinished sums go through the output tiles.
            var cases = Enumerable.Range(0, network.LayerCount).Select(network.GetLayer)
                .SelectMany(l => new[] { (l, 0, false), (l, 7, false), (l, 0, true), (l, 7, true) });
            foreach (var (layer, maxBlockInputs, dropSome) in cases)
            {
                var plan = CpuLayerPlan.Build(layer, groupColumns: true, maxBlockInputs: maxBlockInputs);
                Assert.Equal(maxBlockInputs == 0 ? 1 : (layer.Inputs + 6) / 7, plan.Groups!.Blocks);
                int n = layer.Inputs, m = layer.Neurons, padded = CpuLayerPlan.PaddedLength(Math.Max(n, m) + 1);
                var tiles = Enumerable.Range(0, 4).Select(t => RandomTile(seed * 4 + t, n, padded)).ToArray();
                var dropped = Enumerable.Range(0, n).Select(i => dropSome && i % 3 != 1).ToArray();
                var groups = dropSome ? plan.Groups.WithoutInputs(dropped) : plan.Groups;
                foreach (var tile in tiles)
                    for (int i = 0; i < n; i++)
                        if (dropped[i]) for (int l = 0; l < Width; l++) tile[i * Width + l] = l % 2 == 0 ? 0f : -0f;
                if (dropSome) Assert.True(groups.GroupSlots[^1] < plan.Groups.GroupSlots[^1] || layer.Weights.NonZeros == 0);
                var expected = tiles.Select(t => DenseModel(layer, t)).ToArray();
                var outputs = Enumerable.Range(0, 4).Select(_ => Enumerable.Repeat(float.NaN, padded * Width).ToArray()).ToArray();
                var sums = new float[padded * Width];
                string context = $"{simd}, seed {seed}, layer {layer.Index} ({layer.Form}), {plan.Groups.Blocks} input range(s){(dropSome ? ", two thirds of the inputs dropped" : "")}";
                fixed (float* t0 = tiles[0], t1 = tiles[1], t2 = tiles[2], t3 = tiles[3])
                fixed (float* o0 = outputs[0], o1 = outputs[1], o2 = outputs[2], o3 = outputs[3], s = sums)
                {
                    kernels.GatherGroups(plan, groups, t0, o0);
                    AssertDense(expected[0], outputs[0], m, context + ", one tile");
                    kernels.GatherGroupPair(plan, groups, t2, t1, o2, o1);
                    AssertDense(expected[2], outputs[2], m, context + ", pair (first)");
                    AssertDense(expected[1], outputs[1], m, context + ", pair (second)");
                    foreach (var o in outputs) Array.Fill(o, 7f);
                    kernels.GatherGroupQuad(plan, groups, t0, t1, t2, t3, o0, o1, o2, o3);
                    for (int t = 0; t < 4; t++) AssertDense(expected[t], outputs[t], m, context + $", quad (tile {t})");
                    var inputs = Enumerable.Range(0, n).Where(i => Enumerable.Range(0, Width).Any(l => tiles[3][i * Width + l] != 0f)).ToArray();
                    fixed (int* u = inputs) kernels.ScatterDense(plan, u, inputs.Length, t3, s, o0);
                    AssertDense(expected[3], outputs[0], m, context + ", scatter");
                    Assert.All(sums, z => Assert.Equal(0f, z));
                }
            }
        }
    }

    [Theory]
    [InlineData(CpuSimd.Vector512)]
    [InlineData(CpuSimd.Vector256)]
    [InlineData(CpuSimd.Vector128)]
    public void RowCountsLanesAndClassesOfATileAreTheScalarRules(CpuSimd simd)
    {
        // Tiles with zero rows, -0, NaN, ±∞ and ties: the row count and lanes the tile order
        // passes to the next layer and the live count, each lane's class by ClassReadOut.Argmax,
        // the rows marked while learning dead inputs and the check of a tile's dead inputs.
        var kernels = LayerKernels.Create(simd);
        var classes = new float[Width];
        for (int seed = 0; seed < 40; seed++)
        {
            var rng = new Random(seed);
            int rows = 1 + rng.Next(30);
            var tile = RandomTile(seed, rows, CpuLayerPlan.PaddedLength(rows + 1));
            for (int i = 0; i < rows; i++)
                if (rng.Next(3) == 0) Array.Clear(tile, i * Width, Width); // whole zero rows
                else if (rng.Next(4) == 0) Array.Fill(tile, 5f, i * Width, Width); // ties with later rows
            int count;
            uint lanes;
            var seen = new ulong[(rows + 63) / 64 + 1];
            seen[^1] = 0xF0F0; // bits past the rows stay as they were
            var listed = Enumerable.Range(0, rows).Where(i => rng.Next(2) == 0).Select(i => i * Width).ToArray();
            bool zeroOnListed;
            fixed (float* t = tile, c = classes)
            fixed (ulong* marks = seen)
            fixed (int* offsets = listed)
            {
                count = kernels.NonZeroRowCount(t, rows, out lanes);
                kernels.ArgmaxLanes(t, rows, c);
                kernels.MarkNonZeroRows(t, rows, marks);
                zeroOnListed = kernels.ZeroOnRows(t, offsets, listed.Length);
            }
            bool NonZero(int i, int l) => tile[i * Width + l] != 0f;
            bool RowNonZero(int i) => Enumerable.Range(0, Width).Any(l => NonZero(i, l));
            Assert.Equal(Enumerable.Range(0, rows).Count(RowNonZero), count);
            Assert.Equal(Enumerable.Range(0, rows).Select(RowNonZero), Enumerable.Range(0, rows).Select(i => (seen[i >> 6] >> i & 1) != 0));
            Assert.Equal(0xF0F0UL, seen[^1]);
            Assert.Equal(listed.All(o => !RowNonZero(o / Width)), zeroOnListed);
            for (int l = 0; l < Width; l++)
            {
                Assert.Equal(Enumerable.Range(0, rows).Any(i => NonZero(i, l)), (lanes >> l & 1) != 0);
                var column = Enumerable.Range(0, rows).Select(i => tile[i * Width + l]).ToArray();
                Assert.True(ClassReadOut.Argmax(column) == (int)classes[l], $"{simd}, seed {seed}, lane {l}: class {classes[l]}, expected {ClassReadOut.Argmax(column)}");
            }
        }
    }

    /// <summary>
    /// The dense kernels' contract: every product of an output's column, zero inputs included,
    /// added in ascending input order from +0, then the layer's form (<see cref="LayerForm.Apply"/>).
    /// </summary>
    private static float[] DenseModel(NetworkLayer layer, float[] tile)
    {
        var columns = layer.Weights.Transpose();
        var result = new float[layer.Neurons * Width];
        for (int l = 0; l < Width; l++)
            for (int j = 0; j < layer.Neurons; j++)
            {
                float z = 0f;
                for (int p = columns.RowOffsets[j]; p < columns.RowOffsets[j + 1]; p++)
                {
                    float product = columns.Values[p] * tile[columns.ColumnIndices[p] * Width + l];
                    z += product;
                }
                result[j * Width + l] = layer.Form.Apply(z, layer.Bias[j]);
            }
        return result;
    }

    private static void AssertDense(float[] expected, float[] actual, int outputs, string context)
    {
        for (int p = 0; p < outputs * Width; p++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[p]) == BitConverter.SingleToInt32Bits(actual[p]),
                $"{context}: output {p / Width}, lane {p % Width}: {actual[p]}, expected {expected[p]}");
    }

    /// <summary>Input i of lane l at [i·16 + l]: half zeros, the rest general values with a few special ones.</summary>
    private static float[] RandomTile(int seed, int n, int padded)
    {
        var rng = new Random(seed + 77);
        var tile = new float[padded * Width];
        for (int p = 0; p < n * Width; p++)
        {
            tile[p] = rng.Next(40) switch
            {
                < 20 => 0f,
                20 => -0f,
                21 => float.NaN,
                22 => float.PositiveInfinity,
                23 => float.NegativeInfinity,
                24 => ChallengeSpec.YMax,
                25 => 1e-40f,
                26 => 1000f,
                _ => (float)(rng.NextDouble() * 40 - 4),
            };
        }
        return tile;
    }

    /// <summary>
    /// The kernels' contract, one output at a time: products added in ascending input order from
    /// +0 (no fused multiply-add), then bias where the sum is nonzero, cap, and only positive results kept.
    /// </summary>
    private static List<(int Index, float Value)>[] Model(NetworkLayer layer, float[] tile, int n)
    {
        var columns = layer.Weights.Transpose();
        var lanes = new List<(int, float)>[Width];
        for (int l = 0; l < Width; l++)
        {
            lanes[l] = [];
            for (int j = 0; j < n; j++)
            {
                float z = 0f;
                for (int p = columns.RowOffsets[j]; p < columns.RowOffsets[j + 1]; p++)
                {
                    float product = columns.Values[p] * tile[columns.ColumnIndices[p] * Width + l];
                    z += product;
                }
                float v = z + layer.Bias[j];
                if (v > ChallengeSpec.YMax) v = ChallengeSpec.YMax;
                if (v > 0f && z != 0f) lanes[l].Add((j, v));
            }
        }
        return lanes;
    }

    private static void AssertLanes(List<(int Index, float Value)>[] expected, int j0, int j1,
        int[] outIndex, float[] outValue, int[] counts, int stride, string context)
    {
        for (int l = 0; l < Width; l++)
        {
            var want = expected[l].Where(e => e.Index >= j0 && e.Index < j1).ToArray();
            Assert.True(want.Length == counts[l], $"{context}, lane {l}: {counts[l]} outputs, expected {want.Length}");
            for (int c = 0; c < want.Length; c++)
            {
                Assert.Equal(want[c].Index, outIndex[l * stride + c]);
                Assert.True(BitConverter.SingleToInt32Bits(want[c].Value) == BitConverter.SingleToInt32Bits(outValue[l * stride + c]),
                    $"{context}, lane {l}, output {want[c].Index}: {outValue[l * stride + c]}, expected {want[c].Value}");
            }
        }
    }
}
