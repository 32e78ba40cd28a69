using System.Reflection;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// The one place that pairs each tile width of the resident-input family with its column sums
/// and its chunk of weight rows: <see cref="GpuDevice"/> loads these methods and
/// <see cref="PtxCompiler"/> lists them, so the PTX that is checked is the PTX that runs.
/// Each comes for the ways of reading the weight rows (<see cref="SlotReads"/>).
/// </summary>
internal static class ResidentKernelMethods
{
    /// <summary><see cref="ResidentInputKernel"/> for tiles of <paramref name="columns"/> (2, 3, 4, 8 or 16).</summary>
    /// <param name="fused">The fused multiply-add: <see cref="DeviceFusedProductSum"/> or <see cref="SimulatedFusedProductSum"/>.</param>
    /// <param name="forms">The layers' forms: <see cref="ChallengeLayers"/> or <see cref="GeneralLayers"/>.</param>
    /// <param name="reads">How the weight rows are laid out and read ahead.</param>
    public static MethodInfo Resident(int columns, Type fused, Type forms, SlotReads reads) =>
        typeof(ResidentInputKernel).GetMethod(nameof(ResidentInputKernel.Run))!.MakeGenericMethod(fused, Sums(columns), ResidentChunk(columns, reads), forms);

    /// <summary><see cref="TailProgram"/> for tiles of <paramref name="columns"/> (2, 3 or 4); see <see cref="Resident"/>.</summary>
    public static MethodInfo Tail(int columns, Type fused, Type forms, SlotReads reads)
    {
        if (columns > TailProgram.MaxColumns) throw new ArgumentOutOfRangeException(nameof(columns), columns, "The tail program takes 2, 3 or 4 columns.");
        return typeof(TailProgram).GetMethod(nameof(TailProgram.Run))!.MakeGenericMethod(fused, Sums(columns), ResidentChunk(columns, reads), forms);
    }

    /// <summary>The column sums of a tile width.</summary>
    private static Type Sums(int columns) => columns switch
    {
        2 => typeof(PairSums),
        3 => typeof(TripleSums),
        4 => typeof(QuadSums),
        8 => typeof(OctetSums),
        16 => typeof(SixteenSums),
        _ => throw new ArgumentOutOfRangeException(nameof(columns), columns, "The resident-input kernel takes 2, 3, 4, 8 or 16 columns."),
    };

    /// <summary>Weight rows read ahead: eight (or twelve) for narrow tiles; four for wide ones, whose sums take more registers.</summary>
    private static Type ResidentChunk(int columns, SlotReads reads) => (columns <= 4, reads) switch
    {
        (true, SlotReads.Scalar) => typeof(SlotOctet),
        (true, SlotReads.Vector) => typeof(VectorSlotOctet),
        (false, SlotReads.Scalar) => typeof(SlotFour),
        (false, _) => typeof(VectorSlotFour),
        _ => throw new ArgumentOutOfRangeException(nameof(reads), reads, "No such slot reads."),
    };
}
