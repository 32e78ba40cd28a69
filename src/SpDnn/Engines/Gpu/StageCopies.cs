namespace SpDnn.Engines.Gpu;

/// <summary>
/// Second copies of a resident-input stage's inputs in the shared memory the stage leaves unused
/// (tiles of four columns: one 16-byte quad an input). A warp's read of one weight row is served
/// a quarter-warp at a time, and eight lanes whose inputs lie on the same of the eight 16-byte
/// bank groups wait for one another (Nsight Compute, general 16384, v22: 8.8 wavefronts a read
/// where 4 would do). The copy of input i lies on another bank group than i, and the planner
/// points each slot at whichever of the two its quarter-warp's other reads leave free
/// (<see cref="Assign"/>). Both hold the same value, so every sum is the same, bit for bit.
/// Positions count 16-byte quads: input i of the part at i, its copy at <see cref="Position"/>.
/// </summary>
internal static class StageCopies
{
    /// <summary>Sixteen-byte bank groups of shared memory (32 banks of 4 bytes).</summary>
    public const int BankGroups = 8;

    /// <summary>Bytes a stage position takes: one input's four columns.</summary>
    public const int QuadBytes = 16;

    /// <summary>Lanes whose 16-byte reads shared memory serves together.</summary>
    public const int PhaseLanes = 8;

    /// <summary>Where the copies start, for a part of <paramref name="inputs"/> inputs: past them, on a whole row of bank groups.</summary>
    public static int Base(int inputs) => (inputs + BankGroups - 1) & ~(BankGroups - 1);

    /// <summary>Inputs (the first of the part) that have a copy, in a stage of <paramref name="capacity"/> quads (0: no copies).</summary>
    public static int Count(int inputs, int capacity) =>
        capacity <= 0 ? 0 : Math.Max(0, Math.Min(inputs, capacity - Base(inputs)) & ~(BankGroups - 1));

    /// <summary>
    /// Where input <paramref name="input"/>'s copy lies (input &lt; <see cref="Count"/>): in the copies' block of
    /// eight that mirrors the input's, its place turned by 1 to 7 (by block), so never on the input's bank group.
    /// </summary>
    public static int Position(int input, int inputs)
    {
        int turn = 1 + (input / BankGroups * 5 % 7);
        return Base(inputs) + (input & ~(BankGroups - 1)) + ((input + turn) & (BankGroups - 1));
    }

    /// <summary>
    /// Points the slots of one part's warp rows at an input or its copy: for each weight row of each
    /// warp, each quarter-warp's eight reads are spread over the bank groups (a read whose
    /// address another lane already reads costs nothing; zero weights, which add nothing, join
    /// an address already read). <paramref name="slotOf"/> gives lane l's slot of warp row r.
    /// </summary>
    /// <param name="slotIndex">The slots' positions in the part (its inputs on entry).</param>
    /// <param name="slotValue">The slots' weights (zero: padding, or an entry that adds nothing).</param>
    /// <param name="firstRow">The part's first warp row of this warp.</param>
    /// <param name="endRow">Past its last.</param>
    /// <param name="inputs">Inputs of the part.</param>
    /// <param name="copies">Inputs with a copy (<see cref="Count"/>).</param>
    public static void Assign(ushort[] slotIndex, float[] slotValue, long firstRow, long endRow, int inputs, int copies, Func<long, int, long> slotOf)
    {
        Span<long> slots = stackalloc long[PhaseLanes];
        Span<int> primary = stackalloc int[PhaseLanes];
        Span<int> second = stackalloc int[PhaseLanes];
        Span<int> place = stackalloc int[PhaseLanes];
        for (long row = firstRow; row < endRow; row++)
        {
            for (int phase = 0; phase < TiledLayout.WarpSize; phase += PhaseLanes)
            {
                // -1: a zero weight (it adds nothing wherever it reads); a second place of -1: no copy.
                for (int l = 0; l < PhaseLanes; l++)
                {
                    long slot = slots[l] = slotOf(row, phase + l);
                    int input = slotIndex[slot];
                    bool reads = slotValue[slot] != 0f;
                    primary[l] = place[l] = reads ? input : -1;
                    second[l] = reads && input < copies ? Position(input, inputs) : -1;
                }
                // Each read with two places where it costs least, given the others, until none gains.
                for (int round = 0, best = Score(place); round < 4; round++)
                {
                    bool moved = false;
                    for (int l = 0; l < PhaseLanes; l++)
                    {
                        if (second[l] < 0) continue;
                        int was = place[l];
                        place[l] = was == primary[l] ? second[l] : primary[l];
                        int score = Score(place);
                        if (score < best) { best = score; moved = true; }
                        else place[l] = was;
                    }
                    if (!moved) break;
                }
                int shared = 0;
                for (int l = 0; l < PhaseLanes; l++) if (place[l] >= 0) { shared = place[l]; break; }
                for (int l = 0; l < PhaseLanes; l++) slotIndex[slots[l]] = (ushort)(place[l] >= 0 ? place[l] : shared);
            }
        }
    }

    /// <summary>
    /// How badly a quarter-warp's reads (-1: none) share bank groups: the wavefronts they take (the
    /// most distinct places on one group) first, then the sum of squares of the groups' loads.
    /// </summary>
    private static int Score(ReadOnlySpan<int> places)
    {
        Span<int> load = stackalloc int[BankGroups];
        for (int l = 0; l < places.Length; l++)
        {
            int p = places[l];
            if (p < 0 || places[..l].IndexOf(p) >= 0) continue;
            load[p & (BankGroups - 1)]++;
        }
        int most = 0, squares = 0;
        foreach (int n in load) { most = Math.Max(most, n); squares += n * n; }
        return most * 1024 + squares;
    }
}
