using Spectre.Console;

namespace SpDnn.Cli.Terminal;

/// <summary>
/// Progress of long steps (reading, planning, inference) on stderr, so that stdout stays clean for
/// --json: bars on a terminal, plain lines when stderr goes to a file or pipe (a batch job's log),
/// silent when the command writes to another writer (in-process runs, tests).
/// </summary>
public abstract class StepProgress
{
    /// <summary>Runs <paramref name="step"/>; it reports units done out of <paramref name="total"/> (0: unknown).</summary>
    public abstract T Run<T>(string label, int total, Func<IProgress<int>?, T> step);

    public static StepProgress Silent { get; } = new SilentProgress();

    /// <summary>For the process's stderr: bars on a terminal, else plain lines; silent for any other writer.</summary>
    public static StepProgress For(TextWriter error) =>
        !ReferenceEquals(error, Console.Error) ? Silent
        : Console.IsErrorRedirected ? new PlainProgress(error)
        : new TerminalProgress();

    private sealed class SilentProgress : StepProgress
    {
        public override T Run<T>(string label, int total, Func<IProgress<int>?, T> step) => step(null);
    }

    /// <summary>One line when a step starts, one per tenth done (when the total is known) and one when it ends.</summary>
    public sealed class PlainProgress(TextWriter error) : StepProgress
    {
        public override T Run<T>(string label, int total, Func<IProgress<int>?, T> step)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            error.WriteLine($"{label} ...");
            var tenths = total > 0 ? new Tenths(error, label, total) : null;
            T result = step(tenths);
            error.WriteLine($"{label}: done in {watch.Elapsed.TotalSeconds:F1} s");
            return result;
        }

        private sealed class Tenths(TextWriter error, string label, int total) : IProgress<int>
        {
            private int _printed;

            public void Report(int value)
            {
                int tenth = (int)Math.Min(9, 10L * value / total);
                int before = _printed;
                if (tenth > before && Interlocked.CompareExchange(ref _printed, tenth, before) == before)
                    error.WriteLine($"{label}: {tenth * 10}%");
            }
        }
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
