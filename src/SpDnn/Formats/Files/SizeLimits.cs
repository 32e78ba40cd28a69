namespace SpDnn.Formats;

/// <summary>
/// Bounds on the sizes a file may declare, so that memory follows the data read, not a number
/// written in it. A sparse matrix costs 4 bytes of row offsets per row even when the row is
/// empty, so a two-line image file numbering an image 200,000,000, or a 17-byte layer file
/// named for N = 2·10^9, would otherwise take gigabytes. Rows beyond the stored entries are
/// therefore limited to <see cref="EmptyRowAllowance"/>, checked before anything of that size
/// is allocated: from the file's length before reading, from the entries after.
/// </summary>
internal static class SizeLimits
{
    /// <summary>
    /// Rows (images, neurons) a matrix may have beyond its stored entries: 4 MiB of row offsets
    /// whatever the data. Real data is far from it (every official image and neuron has entries).
    /// </summary>
    public const int EmptyRowAllowance = 1 << 20;

    /// <summary>The most rows a CSR matrix can have: its rows + 1 offsets must fit one array.</summary>
    public static int MaxRows => Array.MaxLength - 1;

    /// <summary>The fewest bytes one entry takes in coordinate text (<c>1 1\n</c>).</summary>
    public const int MinEntryBytes = 4;

    /// <summary>The most a deflate stream expands (1032:1), bounding what a gzip file can hold.</summary>
    public const int MaxDeflateRatio = 1032;

    /// <summary>
    /// Binary data read through decompression (gzipped IDX files, deflated .npz arrays) has no
    /// lines whose length could stop a decompression bomb, so the sizes it declares are bounded
    /// by what it is stored in: <see cref="ExpansionAllowance"/> plus this many times the stored
    /// bytes. Real data compresses far less (MNIST images about 5:1, float weights about 1.1:1,
    /// integer indices under 10:1); a file of zeros compresses about 1000:1.
    /// </summary>
    public const int MaxBinaryExpansion = 64;

    /// <summary>What compressed binary data may expand to whatever its stored size (small arrays of zeros compress without bound).</summary>
    public const long ExpansionAllowance = 64L << 20;

    /// <summary>The most bytes compressed binary data stored in <paramref name="storedBytes"/> bytes may declare.</summary>
    public static long MaxExpandedBytes(long storedBytes) => ExpansionAllowance + storedBytes * MaxBinaryExpansion;

    /// <summary>The most entries <paramref name="bytes"/> bytes of coordinate text can hold (gzip: once decompressed).</summary>
    public static long MaxEntries(long bytes, bool gzip) => (gzip ? bytes * MaxDeflateRatio : bytes + 1) / MinEntryBytes;

    /// <summary>The most rows a matrix of <paramref name="entries"/> stored entries may have.</summary>
    public static long MaxRowsFor(long entries) => Math.Min(MaxRows, entries + EmptyRowAllowance);

    /// <summary>
    /// Refuses <paramref name="rows"/> rows for a matrix of at most <paramref name="entries"/>
    /// entries. <paramref name="what"/> says where the count came from and <paramref name="noun"/>
    /// what a row is (images, neurons, rows), for the message.
    /// </summary>
    public static void CheckRows(string file, long rows, long entries, string what, string noun, long? line = null)
    {
        if (rows <= MaxRowsFor(entries)) return;
        if (rows > entries + EmptyRowAllowance)
            throw new SpDnnDataException(file,
                $"{what}: {rows} {noun} but at most {entries} entries, so at least {rows - entries} {noun} would be empty "
                + $"(at most {EmptyRowAllowance} may be)", line);
        throw new SpDnnDataException(file, $"{what}: {rows} {noun} do not fit one matrix (at most {MaxRows})", line);
    }
}
