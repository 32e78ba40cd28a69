/// <summary>Command-line options of the generation benchmark.</summary>
internal sealed record BenchOptions(int Layers, int WriteLayers, int[] ImageSizes, string Output)
{
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions(1920, 12, [1024, 4096], Path.Combine("bench", "results"));
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            o = args[i] switch
            {
                "--layers" => o with { Layers = int.Parse(args[i + 1]) },
                "--write-layers" => o with { WriteLayers = int.Parse(args[i + 1]) },
                "--images" => o with { ImageSizes = args[i + 1].Length == 0 ? [] : [.. args[i + 1].Split(',').Select(int.Parse)] },
                "--out" => o with { Output = args[i + 1] },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o;
    }
}
