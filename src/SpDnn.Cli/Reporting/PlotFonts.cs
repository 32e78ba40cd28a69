using ScottPlot;

namespace SpDnn.Cli.Reporting;

/// <summary>
/// Makes ScottPlot draw with the DejaVu Sans shipped in the tool (data/fonts/), so plots carry
/// their text on machines without system fonts and look the same everywhere.
/// </summary>
public static class PlotFonts
{
    public const string Family = "SpDnn DejaVu Sans";

    private static readonly Lazy<bool> Registered = new(Register);

    /// <summary>Registers the shipped font once per process and makes it ScottPlot's default.</summary>
    public static void Ensure() => _ = Registered.Value;

    private static bool Register()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"spdnn-fonts-{typeof(PlotFonts).Assembly.ManifestModule.ModuleVersionId:N}");
        Directory.CreateDirectory(folder);
        string regular = Extract("DejaVuSans.ttf", folder);
        string bold = Extract("DejaVuSans-Bold.ttf", folder);
        Fonts.AddFontFile(Family, regular, bold: false, italic: false);
        Fonts.AddFontFile(Family, bold, bold: true, italic: false);
        Fonts.Default = Family;
        Fonts.Sans = Family;
        Fonts.Serif = Family;
        return true;
    }

    private static string Extract(string name, string folder)
    {
        string path = Path.Combine(folder, name);
        if (File.Exists(path)) return path;
        using var resource = typeof(PlotFonts).Assembly.GetManifestResourceStream("fonts/" + name)
            ?? throw new InvalidOperationException($"The tool was built without its font {name}.");
        string temporary = path + $".{Environment.ProcessId}.tmp";
        using (var file = File.Create(temporary)) resource.CopyTo(file);
        File.Move(temporary, path, overwrite: true);
        return path;
    }
}
