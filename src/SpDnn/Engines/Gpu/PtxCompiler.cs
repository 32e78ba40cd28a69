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
    /// <summary>The engine's kernels by name (those of the challenge's form; "-general": for any layers).</summary>
    public static IReadOnlyDictionary<string, MethodInfo> Kernels { get; } = new Dictionary<string, MethodInfo>
    {
        ["layer-program"] = Program<ChallengeLayers>(),
        ["layer-program-general"] = Program<GeneralLayers>(),
        ["hash"] = typeof(StateKernels).GetMethod(nameof(StateKernels.Hash))!,
        ["compare"] = typeof(StateKernels).GetMethod(nameof(StateKernels.Compare))!,
        ["gather"] = typeof(StateKernels).GetMethod(nameof(StateKernels.Gather))!,
        ["expand-bitmap"] = typeof(ImageKernels).GetMethod(nameof(ImageKernels.ExpandBitmap))!,
        ["scatter-rows"] = typeof(ImageKernels).GetMethod(nameof(ImageKernels.ScatterRows))!,
        ["resident-2"] = Resident(2, typeof(ChallengeLayers)),
        ["resident-3"] = Resident(3, typeof(ChallengeLayers)),
        ["resident-4"] = Resident(4, typeof(ChallengeLayers)),
        ["resident-8"] = Resident(8, typeof(ChallengeLayers)),
        ["resident-16"] = Resident(16, typeof(ChallengeLayers)),
        ["resident-4-general"] = Resident(4, typeof(GeneralLayers)),
        ["resident-8-general"] = Resident(8, typeof(GeneralLayers)),
        ["resident-16-general"] = Resident(16, typeof(GeneralLayers)),
        ["resident-4-general-scalar-slots"] = Resident(4, typeof(GeneralLayers), SlotReads.Scalar),
        ["resident-8-general-scalar-slots"] = Resident(8, typeof(GeneralLayers), SlotReads.Scalar),
        ["split-4"] = Split<FourLaneSums, FourSlots, ChallengeLayers>(),
        ["split-4-general"] = Split<FourLaneSums, FourSlots, GeneralLayers>(),
        ["split-8"] = Split<EightLaneSums, EightSlots, ChallengeLayers>(),
        ["split-8-general"] = Split<EightLaneSums, EightSlots, GeneralLayers>(),
        ["column-lanes"] = ColumnLanes<ChallengeLayers>(),
        ["column-lanes-general"] = ColumnLanes<GeneralLayers>(),
        ["image-bits"] = ImageBits<ChallengeLayers>(),
        ["image-bits-general"] = ImageBits<GeneralLayers>(),
        ["tail-4"] = ResidentKernelMethods.Tail(4, typeof(DeviceFusedProductSum), typeof(ChallengeLayers), SlotReads.Vector),
        ["tail-4-general"] = ResidentKernelMethods.Tail(4, typeof(DeviceFusedProductSum), typeof(GeneralLayers), SlotReads.Vector),
    };

    private static MethodInfo Program<TForms>() where TForms : struct, IKernelLayerForms<TForms> =>
        typeof(LayerProgram).GetMethod(nameof(LayerProgram.Run))!.MakeGenericMethod(typeof(DeviceFusedProductSum), typeof(TForms));

    private static MethodInfo ColumnLanes<TForms>() where TForms : struct, IKernelLayerForms<TForms> =>
        typeof(ColumnLaneKernel).GetMethod(nameof(ColumnLaneKernel.Run))!.MakeGenericMethod(typeof(DeviceFusedProductSum), typeof(TForms));

    private static MethodInfo ImageBits<TForms>() where TForms : struct, IKernelLayerForms<TForms> =>
        typeof(ImageBitsKernel).GetMethod(nameof(ImageBitsKernel.Run))!.MakeGenericMethod(typeof(DeviceFusedProductSum), typeof(TForms));

    private static MethodInfo Split<TSplit, TRow, TForms>()
        where TSplit : struct, ISplitSums<TSplit, TRow>
        where TRow : struct
        where TForms : struct, IKernelLayerForms<TForms> =>
        typeof(SplitColumnKernel).GetMethod(nameof(SplitColumnKernel.Run))!.MakeGenericMethod(typeof(DeviceFusedProductSum), typeof(TSplit), typeof(TRow), typeof(TForms));

    private static MethodInfo Resident(int columns, Type forms, SlotReads reads = SlotReads.Vector) => ResidentKernelMethods.Resident(columns, typeof(DeviceFusedProductSum), forms, reads);

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
            var specialization = name.StartsWith("layer-program", StringComparison.Ordinal) ? LayerProgram.Specialization
                : name.StartsWith("split-8", StringComparison.Ordinal) ? SplitColumnKernel.Specialization(8)
                : name.StartsWith("resident-", StringComparison.Ordinal) || name.StartsWith("tail-", StringComparison.Ordinal) || name.StartsWith("column-lanes", StringComparison.Ordinal)
                    || name.StartsWith("split-", StringComparison.Ordinal)
                    ? ResidentInputKernel.Specialization : KernelSpecialization.Empty;
            var compiled = (PTXCompiledKernel)backend.Compile(entry, specialization);
            result[name] = compiled.PTXAssembly;
        }
        return result;
    }
}
