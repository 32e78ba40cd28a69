namespace SpDnn.Distributed.Mpi;

/// <summary>MPI is missing, of the wrong family, or one of its calls failed.</summary>
public sealed class MpiException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
