using System.Globalization;
using System.IO.Hashing;
using System.Text;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// What a stored plan must match to be used: the network's content (<see cref="NetworkChecksum"/>,
/// not its path), every engine setting that changes the layout (layers per chunk, duplicate-output
/// merging, the full-width kernel rule, the resident-input tile width and input parts, which depend on the
/// device's shared memory, the column-lane layouts, the tail's and which layers have it, whether the first layer reads the images as bits, the slot layout, the stage size its copies were
/// planned for), and the build of SpDnn that planned it (its module version id, which
/// changes with any change of the code, so a planner that lays out differently never reads an old
/// file). The file name holds the network and the settings only, so a file made by another build
/// is found, reported as stale and replaced rather than left beside the new one.
/// </summary>
internal sealed record PlanCacheKey(string Text, string FileName)
{
    public static PlanCacheKey For(ILayerSource network, GpuEngineOptions options, int residentColumns, int partInputs, bool columnLanes, int tailColumns, int stageCapacity,
        ParallelOptions parallel)
    {
        var checksum = NetworkChecksum.Of(network, parallel);
        var c = CultureInfo.InvariantCulture;
        string settings = string.Create(c, $"chunk={options.LayersPerChunk} dedupe={options.MergeDuplicateOutputs} rows={options.Rows} kernel={options.Kernel} columns={residentColumns} parts={partInputs} lanes={columnLanes} split={options.SplitColumns} tail={tailColumns} tail-layers={options.TailProgram} bits={options.ImageBits} vector-slots={options.VectorSlots} stage-copies={stageCapacity}").ToLowerInvariant();
        string text = string.Create(c,
            $"network {checksum:x32}\nneurons {network.Neurons}\nlayers {network.LayerCount}\nsettings {settings}\nbuild {typeof(GpuPlan).Assembly.ManifestModule.ModuleVersionId}\n");
        uint settingsHash = XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(settings));
        string file = string.Create(c, $"gpu-n{network.Neurons}-l{network.LayerCount}-{(ulong)(checksum >> 64):x16}-{settingsHash:x8}.plan");
        return new PlanCacheKey(text, file);
    }

    /// <summary>The first line in which <paramref name="stored"/> differs from this key, for the report.</summary>
    public string Difference(string stored)
    {
        var expected = Text.Split('\n');
        var found = stored.Split('\n');
        for (int i = 0; i < Math.Max(expected.Length, found.Length); i++)
        {
            string e = i < expected.Length ? expected[i] : "", f = i < found.Length ? found[i] : "";
            if (e != f) return $"made for '{f}', this run needs '{e}'";
        }
        return "same key";
    }
}
