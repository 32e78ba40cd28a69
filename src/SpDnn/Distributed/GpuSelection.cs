using System.Globalization;

namespace SpDnn.Distributed;

/// <summary>What <c>--gpus</c> selects: <c>all</c>, a count K (devices 0..K-1) or a list of device numbers (<c>0,2,3</c>).</summary>
internal static class GpuSelection
{
    public static int[] Parse(string text, int available)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (available < 1) throw new NotSupportedException($"--gpus {text}: no CUDA device found (is the NVIDIA driver's libcuda.so.1 installed?).");
        if (text.Equals("all", StringComparison.OrdinalIgnoreCase)) return [.. Enumerable.Range(0, available)];
        if (!text.Contains(',') && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int count))
        {
            if (count < 1 || count > available)
                throw new SpDnnUsageException($"--gpus {text}: between 1 and {available} GPUs can be used on this machine.");
            return [.. Enumerable.Range(0, count)];
        }
        var devices = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int device))
                throw new SpDnnUsageException($"--gpus {text}: expected all, a count, or device numbers separated by commas.");
            if (device >= available) throw new SpDnnUsageException($"--gpus {text}: there is no GPU {device} (this machine has 0..{available - 1}).");
            if (devices.Contains(device)) throw new SpDnnUsageException($"--gpus {text}: GPU {device} is listed twice.");
            devices.Add(device);
        }
        return [.. devices];
    }
}
