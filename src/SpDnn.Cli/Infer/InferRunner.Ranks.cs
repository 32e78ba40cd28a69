using System.Diagnostics;
using System.Text.Json;
using SpDnn.Cli.Reporting;
using SpDnn.Cli.Terminal;
using SpDnn.Distributed;
using SpDnn.Formats;
using SpDnn.Model;

namespace SpDnn.Cli.Infer;

/// <summary>
/// <c>spdnn infer</c> under mpiexec: the same run spread over the ranks by
/// <see cref="DistributedRunner"/>. Every rank reads the network and its slice of the images
/// (from a binary image file only its rows; text formats have no index, so each rank parses the
/// whole file and keeps its slice), runs its engine, and rank 0 alone checks, writes and reports. A failure on any rank
/// ends every rank with the same exit code and rank 0 prints it once.
/// </summary>
public sealed partial class InferRunner
{
    private int RunOnRanks(InferRequest request)
    {
        var loadWatch = Stopwatch.StartNew();
        using var communicator = Communicators.Create();
        bool root = communicator.Rank == 0;
        try
        {
            return RunOnRanks(request, communicator, loadWatch);
        }
        catch (Exception e) when (e is SpDnnDataException or RankFailedException && !root)
        {
            // Agreed on by every rank: rank 0 reports it; the others end quietly with the same code.
            return e is SpDnnDataException ? CliRunner.ExitBadInput : CliRunner.ExitError;
        }
        catch (Exception e) when (e is not (SpDnnDataException or RankFailedException) && communicator.Size > 1)
        {
            // Outside the agreed steps (an MPI error inside a collective): other ranks may be waiting
            // in a collective that will never complete, so end the whole job now.
            error.WriteLine($"error: rank {communicator.Rank} of {communicator.Size}: {e.Message}");
            communicator.Abort(CliRunner.ExitError);
            throw;
        }
    }

    private int RunOnRanks(InferRequest request, ICommunicator communicator, Stopwatch loadWatch)
    {
        bool root = communicator.Rank == 0;
        // Only rank 0 shows progress and notes; ranks of one host share its cores unless told otherwise.
        var quiet = root ? this : new InferRunner(TextWriter.Null, TextWriter.Null, StepProgress.Silent);
        var steps = root ? progress : StepProgress.Silent;
        int threads = request.Threads > 0 || communicator.LocalSize == 1
            ? request.Threads
            : Math.Max(1, Environment.ProcessorCount / communicator.LocalSize);

        var truth = FailureAgreement.Run(communicator, () => root && request.Truth is not null ? CategoriesFile.Read(request.Truth) : null);
        ILayerSource? opened = null, network = null;
        try
        {
            var job = new DistributedJob
            {
                OpenNetwork = () =>
                {
                    opened = request.OpenNetwork();
                    return network = quiet.Preload(opened);
                },
                // Read after the network (same step), so the images are checked against its N.
                Images = new ImageFileInput(request.Images, () => network?.Neurons),
                CreateEngine = c => ScaleOutEngines.Create(new EngineRequest(request.Engine, request.Gpus, request.RebalanceAfter), c),
                // One rank reports what the plan cache did (every rank plans, and may read or write the same file).
                Options = new InferenceOptions { Threads = threads, PlanCacheFolder = request.PlanCache, Note = root ? note => error.WriteLine($"note: {note}") : null },
            };
            var run = DistributedRunner.Run(communicator, job);
            // The slowest rank's reading; in the time to answer, with the command's steps before it.
            double answerLoadSeconds = run.ReadSeconds + Math.Max(0, request.Clock.CommandSeconds - loadWatch.Elapsed.TotalSeconds);
            double loadSeconds = Math.Max(loadWatch.Elapsed.TotalSeconds - run.Result.PlanningSeconds - run.Result.InferenceSeconds, run.ReadSeconds);

            int code = FailureAgreement.Run(communicator, () => root ? Finish(request with { Threads = threads }, network!, run.Result, loadSeconds, answerLoadSeconds, truth) : 0);
            return communicator.AllGather(code)[0]; // every rank ends like rank 0
        }
        finally
        {
            (opened as IDisposable)?.Dispose();
        }
    }

    /// <summary>Rank 0: check, write the categories, report.</summary>
    private int Finish(InferRequest request, ILayerSource network, InferenceResult result, double loadSeconds, double answerLoadSeconds, int[]? truth)
    {
        var check = truth is null ? null : CategoryCheck.Compare(truth, result.Categories);
        if (request.CategoriesOut is not null) CategoriesFile.Write(request.CategoriesOut, result.Categories);
        // Rank 0's clock; planning is the slowest rank's (the ranks start the run together after it).
        var answer = TimeToAnswer.Of(request.Clock.TotalSeconds, request.Clock.StartupSeconds, answerLoadSeconds, result.PlanningSeconds, result);
        var report = BuildReport(request, network, request.Images, result, loadSeconds, check, answer);
        LastReport = report;
        if (request.Json) output.WriteLine(JsonSerializer.Serialize(report, InferReportJson.Default.InferReport));
        else WriteText(report, result, check);
        return check is { Passed: false } ? CliRunner.ExitFailedCheck : CliRunner.ExitOk;
    }
}
