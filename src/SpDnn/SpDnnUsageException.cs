namespace SpDnn;

/// <summary>
/// A setting the user gave is not valid (an unknown engine or engine setting, an option out of
/// range, a format name): nothing is read or written. The CLI maps it, like
/// <see cref="SpDnnDataException"/>, to exit code 2 and prints <see cref="Exception.Message"/> alone.
/// Derives from <see cref="ArgumentException"/> so library callers catching that keep working.
/// </summary>
public sealed class SpDnnUsageException(string message) : ArgumentException(message);
