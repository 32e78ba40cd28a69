namespace SpDnn.Distributed;

/// <summary>A step failed on one or more ranks (not for bad input data, which stays a <see cref="SpDnnDataException"/>).</summary>
public sealed class RankFailedException(string message) : InvalidOperationException(message);
