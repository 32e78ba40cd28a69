using System.CommandLine;

namespace SpDnn.Cli.Commands;

/// <summary>Every subcommand of spdnn, in the order help lists them. One file per command.</summary>
public static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return InferCommand.Create();
        yield return ConvertCommand.Create();
        yield return InfoCommand.Create();
        yield return GenerateCommand.Create();
        yield return BenchCommand.Create();
        yield return ReportCommand.Create();
        yield return ScalingCommand.Create();
        yield return MpiCheckCommand.Create();
        yield return GpuSelfTestCommand.Create();
        yield return GpuPtxCommand.Create();
    }
}
