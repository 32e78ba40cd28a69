using System.Text.Json;

/// <summary>The JSON record as a Markdown summary.</summary>
internal static class Markdown
{
    public static string Render(Dictionary<string, object?> record)
    {
        var json = JsonSerializer.SerializeToElement(record);
        var md = new System.Text.StringBuilder();
        md.AppendLine("# Generation benchmark").AppendLine();
        md.AppendLine($"- date: {json.GetProperty("date")}, commit {json.GetProperty("commit")}");
        var machine = json.GetProperty("machine");
        md.AppendLine($"- machine: {machine.GetProperty("cpu")}, {machine.GetProperty("logicalCores")} logical cores, {machine.GetProperty("os")}, .NET {machine.GetProperty("runtime")}");
        md.AppendLine($"- load average at start (the machine is shared): {json.GetProperty("loadAverageAtStart")}");
        md.AppendLine($"- all checks passed: {json.GetProperty("allChecksPassed")}").AppendLine();
        if (json.TryGetProperty("networkInMemory", out var net))
        {
            md.AppendLine("## Network in memory (CSR per layer, all layers)").AppendLine();
            md.AppendLine("| N | layers | edges | seconds | cpu seconds | layers/s | target |");
            md.AppendLine("|---|---|---|---|---|---|---|");
            md.AppendLine($"| {net.GetProperty("neurons")} | {net.GetProperty("layers")} | {net.GetProperty("edges").GetInt64():N0} | {net.GetProperty("seconds").GetDouble():F1} | {net.GetProperty("cpuSeconds").GetDouble():F1} | {net.GetProperty("layersPerSecond").GetDouble():F1} | < 60 s |");
        }
        if (json.TryGetProperty("networkWritten", out var written))
        {
            md.AppendLine().AppendLine("## Network written (subset of layers)").AppendLine();
            md.AppendLine("| format | N | layers | bytes | seconds | cpu seconds | layers/s | MB/s |");
            md.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var w in written.EnumerateArray())
                md.AppendLine($"| {w.GetProperty("format")} | {w.GetProperty("neurons")} | {w.GetProperty("layers")} | {w.GetProperty("bytes").GetInt64():N0} | {w.GetProperty("seconds").GetDouble():F1} | {w.GetProperty("cpuSeconds").GetDouble():F1} | {w.GetProperty("layersPerSecond").GetDouble():F2} | {w.GetProperty("megabytesPerSecond").GetDouble():F0} |");
        }
        if (json.TryGetProperty("images", out var images))
        {
            md.AppendLine().AppendLine("## Images (all 60000, whole-set Fourier resize)").AppendLine();
            md.AppendLine("| N | seconds | cpu seconds | nnz | official nnz | equal | MAX | peak working set |");
            md.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var i in images.EnumerateArray())
                md.AppendLine($"| {i.GetProperty("neurons")} | {i.GetProperty("seconds").GetDouble():F1} | {i.GetProperty("cpuSeconds").GetDouble():F1} | {i.GetProperty("nonZeros").GetInt64():N0} | {i.GetProperty("nonZerosOfficial")} | {i.GetProperty("match")} | {i.GetProperty("maximum").GetDouble():F9} | {i.GetProperty("peakWorkingSetBytes").GetInt64() / 1e9:F2} GB |");
        }
        return md.ToString();
    }
}
