using System.Globalization;
using System.Text;

namespace SpDnn.Distributed;

/// <summary>
/// Keeps a job from hanging when one rank fails: each step that may fail locally (reading a
/// file, planning, inference) runs inside <see cref="Run{T}"/>, which catches the failure and
/// then exchanges every rank's status (an all-gather that every rank reaches, failed or not).
/// If any rank failed, every rank throws the same exception naming the first failed rank and
/// its message, so the job ends with one clear error and one exit code instead of ranks
/// waiting for ever in the next collective. Bad input stays a <see cref="SpDnnDataException"/>
/// (exit code 2); anything else becomes a <see cref="RankFailedException"/>.
/// </summary>
public static class FailureAgreement
{
    private const char Separator = '\0';

    /// <summary>Runs <paramref name="step"/> on this rank, then agrees with every rank on whether any failed; returns the step's value when none did.</summary>
    public static T Run<T>(ICommunicator communicator, Func<T> step)
    {
        T result = default!;
        string? failure = null;
        try
        {
            result = step();
        }
        catch (Exception e)
        {
            failure = Encode(e);
        }
        try
        {
            ThrowIfAnyFailed(communicator, failure);
        }
        catch
        {
            // Another rank failed: what this rank made (an engine, a plan) will not be used.
            (result as IDisposable)?.Dispose();
            throw;
        }
        return result;
    }

    /// <inheritdoc cref="Run{T}(ICommunicator, Func{T})"/>
    public static void Run(ICommunicator communicator, Action step) =>
        Run<bool>(communicator, () => { step(); return true; });

    /// <summary>Every rank passes its own failure (or null); throws on every rank if any is non-null.</summary>
    public static void ThrowIfAnyFailed(ICommunicator communicator, string? localFailure)
    {
        var bytes = localFailure is null ? [] : Encoding.UTF8.GetBytes(localFailure);
        var lengths = communicator.AllGather(bytes.Length);
        if (lengths.All(length => length == 0)) return;
        var all = communicator.AllGatherVariable(bytes);
        var failed = new List<(int Rank, string Text)>();
        int offset = 0;
        for (int r = 0; r < lengths.Length; r++)
        {
            if (lengths[r] > 0) failed.Add((r, Encoding.UTF8.GetString(all, offset, lengths[r])));
            offset += lengths[r];
        }
        throw Decode(failed, communicator.Size);
    }

    internal static string Encode(Exception e) => e switch
    {
        SpDnnDataException d => string.Join(Separator, "data", d.File, d.Line?.ToString(CultureInfo.InvariantCulture) ?? "",
            d.ByteOffset?.ToString(CultureInfo.InvariantCulture) ?? "", d.Reason),
        // Errors the CLI reports as plain messages keep their text; anything else says what it was.
        RankFailedException or ArgumentException or InvalidOperationException or NotSupportedException or IOException
            => string.Join(Separator, "error", e.Message),
        _ => string.Join(Separator, "error", $"{e.GetType().Name}: {e.Message}"),
    };

    internal static Exception Decode(IReadOnlyList<(int Rank, string Text)> failed, int size)
    {
        var (rank, text) = failed[0];
        string where = size > 1 ? $"rank {rank} of {size}" : "";
        string others = failed.Count switch
        {
            1 => "",
            2 => $"; rank {failed[1].Rank} failed too",
            _ => $"; ranks {string.Join(", ", failed.Skip(1).Select(f => f.Rank))} failed too",
        };
        var parts = text.Split(Separator);
        if (parts[0] == "data" && parts.Length == 5)
        {
            long? line = long.TryParse(parts[2], CultureInfo.InvariantCulture, out long l) ? l : null;
            long? byteOffset = long.TryParse(parts[3], CultureInfo.InvariantCulture, out long b) ? b : null;
            string suffix = where.Length > 0 || others.Length > 0 ? $" ({where}{others})" : "";
            return new SpDnnDataException(parts[1], parts[4] + suffix, line, byteOffset);
        }
        string message = (parts.Length > 1 ? string.Join(' ', parts.Skip(1)) : text).TrimEnd('.');
        return new RankFailedException(where.Length > 0 ? $"{where}: {message}{others}" : message + others);
    }
}
