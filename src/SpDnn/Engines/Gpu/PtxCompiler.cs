using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Compiles the engine's kernels to PTX without a GPU (the code the driver would be given), so
/// that kernels can be checked and read on machines without one.
/// </summary>
internal static class PtxCompiler
{
    /// <summary>The engine's kernels by name.</summary>
    public static IReadOnlyDictionary<string, MethodInfo> Kernels { get; } = new Dictionary<string, MethodInfo>
    {
        ["layer-program"] = typeof(LayerProgram).GetMethod(nameof(LayerProgram.Run))!.MakeGenericMethod(typeof(DeviceFusedProductSum)),
        ["hash"] = typeof(StateKernels).GetMethod(nameof(StateKernels.Hash))!,
        ["compare"] = typeof(StateKernels).GetMethod(nameof(StateKernels.Compare))!,
        ["gather"] = typeof(StateKernels).GetMethod(nameof(StateKernels.Gather))!,
        ["expand-bitmap"] = typeof(ImageKernels).GetMethod(nameof(ImageKernels.ExpandBitmap))!,
        ["scatter-rows"] = typeof(ImageKernels).GetMethod(nameof(ImageKernels.ScatterRows))!,
        ["resident-2"] = Resident<PairSums, SlotOctet>(),
        ["resident-3"] = Resident<TripleSums, SlotOctet>(),
        ["resident-4"] = Resident<QuadSums, SlotOctet>(),
        ["resident-8"] = Resident<OctetSums, SlotFour>(),
        ["resident-16"] = Resident<SixteenSums, SlotFour>(),
        ["column-lanes"] = typeof(ColumnLaneKernel).GetMethod(nameof(ColumnLaneKernel.Run))!.MakeGenericMethod(typeof(DeviceFusedProductSum)),
        ["tail-4"] = typeof(TailProgram).GetMethod(nameof(TailProgram.Run))!.MakeGenericMethod(typeof(DeviceFusedProductSum), typeof(QuadSums), typeof(SlotOctet)),
    };

    private static MethodInfo Resident<TSums, TChunk>()
        where TSums : struct, IColumnSums<TSums>
        where TChunk : struct, ISlotChunk<TChunk> =>
        typeof(ResidentInputKernel).GetMethod(nameof(ResidentInputKernel.Run))!.MakeGenericMethod(typeof(DeviceFusedProductSum), typeof(TSums), typeof(TChunk));

    /// <summary>PTX of every kernel for <paramref name="architecture"/> (the H200 runs what ILGPU emits for SM_80 and above).</summary>
    public static IReadOnlyDictionary<string, string> CompileAll(CudaArchitecture? architecture = null)
    {
        var target = architecture ?? CudaArchitecture.SM_80;
        using var context = Context.Create(b => b.Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(target), target, CudaInstructionSet.ISA_80, null);
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, method) in Kernels)
        {
            var entry = name == "expand-bitmap"
                ? EntryPointDescription.FromImplicitlyGroupedKernel(method)
                : EntryPointDescription.FromExplicitlyGroupedKernel(method);
            var specialization = name == "layer-program" ? LayerProgram.Specialization
                : name.StartsWith("resident-", StringComparison.Ordinal) || name.StartsWith("tail-", StringComparison.Ordinal) || name == "column-lanes" ? ResidentInputKernel.Specialization : KernelSpecialization.Empty;
            var compiled = (PTXCompiledKernel)backend.Compile(entry, specialization);
            result[name] = compiled.PTXAssembly;
        }
        return result;
    }
}
