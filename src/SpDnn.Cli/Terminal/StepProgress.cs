using Spectre.Console;

namespace SpDnn.Cli.Terminal;

/// <summary>
/// Progress of long steps (reading, planning, inference), drawn on stderr so that stdout stays
/// clean for --json; silent when stderr is not a terminal or is redirected to a writer.
/// </summary>
public abstract class StepProgress
{
    /// <summary>Runs <paramref name="step"/>; it reports units done out of <paramref name="total"/> (0: unknown).</summary>
    public abstract T Run<T>(string label, int total, Func<IProgress<int>?, T> step);

    public static StepProgress Silent { get; } = new SilentProgress();

    /// <summary>Bars when <paramref name="error"/> is the process's stderr and that is a terminal.</summary>
    public static StepProgress For(TextWriter error) =>
        ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected ? new TerminalProgress() : Silent;

    private sealed class SilentProgress : StepProgress
    {
        public override T Run<T>(string label, int total, Func<IProgress<int>?, T> step) => step(null);
    }

    private sealed class TerminalProgress : StepProgress
    {
        private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
        });

        public override T Run<T>(string label, int total, Func<IProgress<int>?, T> step)
        {
            T result = default!;
            _console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .Start(context =>
                {
                    var task = context.AddTask(label, maxValue: Math.Max(total, 1));
                    task.IsIndeterminate = total <= 0;
                    result = step(new TaskReporter(task));
                    task.IsIndeterminate = false;
                    task.Value = task.MaxValue;
                });
            return result;
        }

        private sealed class TaskReporter(ProgressTask task) : IProgress<int>
        {
            public void Report(int value) => task.Value = value;
        }
    }
}
