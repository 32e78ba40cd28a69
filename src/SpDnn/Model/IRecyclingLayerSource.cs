namespace SpDnn.Model;

/// <summary>
/// A layer source that can read a layer into the arrays of a matrix it gave out before, which the
/// caller is done with: a planner going through tens of gigabytes of layers then writes into
/// memory it has touched already, rather than into fresh pages layer after layer (a page fault
/// per 4 KB, which on a many-core host costs more than reading the layer).
/// </summary>
internal interface IRecyclingLayerSource : ILayerSource
{
    /// <summary><see cref="ILayerSource.GetLayer"/>, into <paramref name="recycled"/>'s arrays where their lengths fit.</summary>
    /// <param name="index">0-based layer index.</param>
    /// <param name="recycled">The weights of a layer this source gave out before and that nothing reads any more (null: none).
    /// Its arrays may be overwritten; it must not be read afterwards.</param>
    NetworkLayer GetLayer(int index, CsrMatrix? recycled);
}
