using System.Diagnostics;
using SpDnn.Generation;

// Quick timing probe; the full benchmark is written below once the pieces are in place.
var watch = Stopwatch.StartNew();
switch (args[0])
{
    case "images":
    {
        int n = int.Parse(args[1]);
        var images = ChallengeImageGenerator.Generate(n);
        Console.WriteLine($"images N={n}: {watch.Elapsed.TotalSeconds:F2} s, nnz {images.TotalNonZeros}, max {images.Maximum:R}");
        break;
    }
    case "fft":
    {
        int n = int.Parse(args[1]);
        var fft = new MixedRadixFft(n);
        var data = new System.Numerics.Complex[n];
        var scratch = new System.Numerics.Complex[n];
        for (int i = 0; i < n; i++) data[i] = i % 7;
        fft.Forward(data, scratch);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (int i = 0; i < 5; i++) fft.Forward(data, scratch);
        Console.WriteLine($"fft {n}: {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / 5:F1} ms cpu each; radices {string.Join(',', fft.Radices)}");
        break;
    }
    case "network":
    {
        int n = int.Parse(args[1]), l = int.Parse(args[2]);
        var net = new ChallengeNetworkGenerator(n, l);
        long nnz = 0;
        Parallel.For(0, l, k => Interlocked.Add(ref nnz, net.GetLayer(k).Weights.NonZeros));
        Console.WriteLine($"network N={n} L={l}: {watch.Elapsed.TotalSeconds:F2} s, nnz {nnz}");
        break;
    }
}
