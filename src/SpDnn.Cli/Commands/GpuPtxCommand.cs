using System.CommandLine;
using SpDnn.Engines.Gpu;

namespace SpDnn.Cli.Commands;

/// <summary>
/// <c>spdnn gpu-ptx</c>: writes the PTX of the GPU engine's kernels (what the CUDA driver is
/// given), compiled here without a GPU, to read or diff them offline.
/// </summary>
public static class GpuPtxCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for one .ptx file per kernel", Required = true };
        var command = new Command("gpu-ptx", "Write the PTX of the GPU kernels (no GPU needed)") { output };
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(output)!;
            folder.Create();
            foreach (var (name, ptx) in PtxCompiler.CompileAll())
            {
                var path = Path.Combine(folder.FullName, name + ".ptx");
                Formats.AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(ptx)));
                parse.InvocationConfiguration.Output.WriteLine($"{path}: {ptx.Length} characters");
            }
            return 0;
        });
        return command;
    }
}
