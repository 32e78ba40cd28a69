using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace SpDnn.Engines.Gpu;

/// <summary>An ILGPU context with one accelerator and the engine's kernels loaded on it.</summary>
internal sealed class GpuDevice : IDisposable
{
    private GpuDevice(Context context, Accelerator accelerator, bool ownsContext = true)
    {
        Context = context;
        _ownsContext = ownsContext;
        Accelerator = accelerator;
        // The resident-input stage takes what one group may have once opted in, less the
        // kernel's own static arrays; the CPU simulator mimics the H200's 227 KB.
        ResidentStageBytes = accelerator is CudaAccelerator cudaDevice
            ? CudaFunctionAttributes.OptInSharedMemoryPerGroup(cudaDevice.DeviceId) - ResidentStaticBytes
            : 227 * 1024 - ResidentStaticBytes;
        // The kernels every run needs are compiled (ILGPU, then the driver) on another thread, while
        // the caller plans (which needs only the device's memory and figures): the first use waits.
        _kernels = Task.Run(LoadKernels);
    }

    /// <summary>The kernels every run uses, and the layer program's groups at once.</summary>
    private sealed record RunKernels(
        Action<AcceleratorStream, KernelConfig, ProgramArgs> Program,
        Action<AcceleratorStream, Index1D, BitmapArgs> ExpandBitmap,
        Action<AcceleratorStream, KernelConfig, ImageRowsArgs> ScatterRows,
        Action<AcceleratorStream, KernelConfig, ColumnArgs> Hash,
        Action<AcceleratorStream, KernelConfig, ColumnArgs> Compare,
        Action<AcceleratorStream, KernelConfig, ColumnArgs> Gather);

    private readonly Task<RunKernels> _kernels;
    private readonly bool _ownsContext; // the simulator's context is the process's (SimulatorContext)
    private int _maxResidentGroups;

    private RunKernels LoadKernels()
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        // CUDA calls need the device's context current on this thread.
        Accelerator.Bind();
        var program = LoadProgram<ChallengeLayers>();
        _maxResidentGroups = ResidentGroupsOf(program);
        var kernels = new RunKernels(program,
            Accelerator.LoadAutoGroupedKernel<Index1D, BitmapArgs>(ImageKernels.ExpandBitmap),
            Accelerator.LoadKernel<ImageRowsArgs>(ImageKernels.ScatterRows),
            Accelerator.LoadKernel<ColumnArgs>(StateKernels.Hash),
            Accelerator.LoadKernel<ColumnArgs>(StateKernels.Compare),
            Accelerator.LoadKernel<ColumnArgs>(StateKernels.Gather));
        KernelSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
        return kernels;
    }

    /// <summary>The run kernels, once compiled; rethrows a failure to compile them.</summary>
    private RunKernels Kernels => _kernels.GetAwaiter().GetResult();

    /// <summary>How long compiling the run kernels took (on its own thread, beside opening and planning); 0 until done.</summary>
    public double KernelSeconds { get; private set; }

    private Action<AcceleratorStream, KernelConfig, ProgramArgs> LoadProgram<TForms>() where TForms : struct, IKernelLayerForms<TForms> =>
        Accelerator.AcceleratorType == AcceleratorType.CPU
            ? Accelerator.LoadKernel<ProgramArgs>(LayerProgram.Run<SimulatedFusedProductSum, TForms>, LayerProgram.Specialization)
            : Accelerator.LoadKernel<ProgramArgs>(LayerProgram.Run<DeviceFusedProductSum, TForms>, LayerProgram.Specialization);

    /// <summary>
    /// Groups of a layer program the device runs at once. The program's grid barrier needs every
    /// group resident at once: never launch more. The CPU simulator runs one group at a time per
    /// simulated multiprocessor, whatever its occupancy estimate says (launching more would
    /// leave groups waiting for ever).
    /// </summary>
    private int ResidentGroupsOf(Action<AcceleratorStream, KernelConfig, ProgramArgs> program)
    {
        int perMultiprocessor = Accelerator.AcceleratorType == AcceleratorType.CPU ? 1
            : Accelerator.EstimateMaxActiveGroupsPerMultiprocessor(KernelUtil.GetKernel(program), LayerProgram.GroupSize, 0);
        return Math.Max(1, Accelerator.NumMultiprocessors * Math.Max(1, perMultiprocessor));
    }

    private Action<AcceleratorStream, KernelConfig, ProgramArgs>? _generalProgram;

    /// <summary>
    /// The layer program for networks of the challenge's form (<see cref="ChallengeLayers"/>, loaded
    /// with the device) or, with <paramref name="general"/>, for any layers (<see cref="GeneralLayers"/>,
    /// compiled on first use; should it fit fewer groups on a multiprocessor, <see cref="MaxResidentGroups"/>
    /// drops to its figure).
    /// </summary>
    public Action<AcceleratorStream, KernelConfig, ProgramArgs> ProgramFor(bool general)
    {
        var challenge = Program;
        if (!general) return challenge;
        lock (_residentKernels)
        {
            if (_generalProgram is null)
            {
                var program = LoadProgram<GeneralLayers>();
                int groups = ResidentGroupsOf(program);
                if (groups < ResidentGroupsOf(challenge)) MaxResidentGroups = Math.Min(MaxResidentGroups, groups);
                _generalProgram = program;
            }
            return _generalProgram;
        }
    }

    /// <summary>Shared memory <see cref="ResidentInputKernel"/> keeps for its own arrays besides the stage.</summary>
    private const int ResidentStaticBytes = 1024;

    /// <summary>Bytes a group of <see cref="ResidentInputKernel"/> may stage (dynamic shared memory).</summary>
    public long ResidentStageBytes { get; }

    private readonly Dictionary<(int Columns, bool General, SlotReads Reads), Action<AcceleratorStream, KernelConfig, ProgramArgs>> _residentKernels = [];

    /// <summary>
    /// <see cref="ResidentInputKernel"/> for tiles of <paramref name="columns"/> live columns, for
    /// layers of the challenge's form or, with <paramref name="general"/>, any, reading the weight
    /// rows as <paramref name="reads"/> says (compiled on first use).
    /// </summary>
    public Action<AcceleratorStream, KernelConfig, ProgramArgs> ResidentKernel(int columns, bool general, SlotReads reads) =>
        StagingKernel(_residentKernels, (columns, general, reads),
            () => LoadStaging(ResidentKernelMethods.Resident(columns, FusedProductSum, general ? typeof(GeneralLayers) : typeof(ChallengeLayers), reads)));

    /// <summary>
    /// The kernel under <paramref name="key"/> in <paramref name="cache"/>, loaded on first use,
    /// allowed the dynamic shared memory of <see cref="ResidentStageBytes"/> (the staging kernels').
    /// </summary>
    private Action<AcceleratorStream, KernelConfig, ProgramArgs> StagingKernel<TKey>(Dictionary<TKey, Action<AcceleratorStream, KernelConfig, ProgramArgs>> cache,
        TKey key, Func<Action<AcceleratorStream, KernelConfig, ProgramArgs>> load) where TKey : notnull
    {
        lock (cache)
        {
            if (cache.TryGetValue(key, out var loaded)) return loaded;
            var kernel = load();
            if (KernelUtil.GetKernel(kernel) is CudaKernel cuda)
                CudaFunctionAttributes.AllowDynamicSharedMemory(cuda.FunctionPtr, (int)ResidentStageBytes);
            return cache[key] = kernel;
        }
    }

    private readonly Dictionary<bool, Action<AcceleratorStream, KernelConfig, ProgramArgs>> _columnLaneKernels = [];

    /// <summary>
    /// <see cref="ColumnLaneKernel"/> for layers of the challenge's form or, with <paramref name="general"/>,
    /// any (compiled on first use).
    /// </summary>
    public Action<AcceleratorStream, KernelConfig, ProgramArgs> ColumnLaneKernelFor(bool general) =>
        StagingKernel(_columnLaneKernels, general, () => general ? LoadColumnLanes<GeneralLayers>() : LoadColumnLanes<ChallengeLayers>());

    private Action<AcceleratorStream, KernelConfig, ProgramArgs> LoadColumnLanes<TForms>() where TForms : struct, IKernelLayerForms<TForms> =>
        Accelerator.AcceleratorType == AcceleratorType.CPU
            ? Accelerator.LoadKernel<ProgramArgs>(ColumnLaneKernel.Run<SimulatedFusedProductSum, TForms>, ResidentInputKernel.SimulatedSpecialization)
            : Accelerator.LoadKernel<ProgramArgs>(ColumnLaneKernel.Run<DeviceFusedProductSum, TForms>, ResidentInputKernel.Specialization);

    private readonly Dictionary<bool, Action<AcceleratorStream, KernelConfig, ProgramArgs>> _imageBitsKernels = [];

    /// <summary>
    /// <see cref="ImageBitsKernel"/> for first layers of the challenge's form or, with <paramref name="general"/>,
    /// any (compiled on first use).
    /// </summary>
    public Action<AcceleratorStream, KernelConfig, ProgramArgs> ImageBitsKernelFor(bool general) =>
        StagingKernel(_imageBitsKernels, general, () => general ? LoadImageBits<GeneralLayers>() : LoadImageBits<ChallengeLayers>());

    private Action<AcceleratorStream, KernelConfig, ProgramArgs> LoadImageBits<TForms>() where TForms : struct, IKernelLayerForms<TForms> =>
        Accelerator.AcceleratorType == AcceleratorType.CPU
            ? Accelerator.LoadKernel<ProgramArgs>(ImageBitsKernel.Run<SimulatedFusedProductSum, TForms>, ImageBitsKernel.Specialization)
            : Accelerator.LoadKernel<ProgramArgs>(ImageBitsKernel.Run<DeviceFusedProductSum, TForms>, ImageBitsKernel.Specialization);

    private readonly Dictionary<(int Lanes, bool General), Action<AcceleratorStream, KernelConfig, ProgramArgs>> _splitKernels = [];

    /// <summary>
    /// <see cref="SplitColumnKernel"/> with <paramref name="lanes"/> (4 or 8) lanes an output, for
    /// layers of the challenge's form or, with <paramref name="general"/>, any (compiled on first use).
    /// </summary>
    public Action<AcceleratorStream, KernelConfig, ProgramArgs> SplitColumnKernel(int lanes, bool general) =>
        StagingKernel(_splitKernels, (lanes, general), () => (lanes, general) switch
        {
            (4, false) => LoadSplit<FourLaneSums, FourSlots, ChallengeLayers>(),
            (4, true) => LoadSplit<FourLaneSums, FourSlots, GeneralLayers>(),
            (8, false) => LoadSplit<EightLaneSums, EightSlots, ChallengeLayers>(),
            (8, true) => LoadSplit<EightLaneSums, EightSlots, GeneralLayers>(),
            _ => throw new ArgumentOutOfRangeException(nameof(lanes), lanes, "The split-column kernel takes 4 or 8 lanes an output."),
        });

    private Action<AcceleratorStream, KernelConfig, ProgramArgs> LoadSplit<TSplit, TRow, TForms>()
        where TSplit : struct, ISplitSums<TSplit, TRow>
        where TRow : struct
        where TForms : struct, IKernelLayerForms<TForms> =>
        Accelerator.AcceleratorType == AcceleratorType.CPU
            ? Accelerator.LoadKernel<ProgramArgs>(Gpu.SplitColumnKernel.Run<SimulatedFusedProductSum, TSplit, TRow, TForms>, ResidentInputKernel.SimulatedSpecialization)
            : Accelerator.LoadKernel<ProgramArgs>(Gpu.SplitColumnKernel.Run<DeviceFusedProductSum, TSplit, TRow, TForms>, Gpu.SplitColumnKernel.Specialization(default(TSplit).Lanes));

    private readonly Dictionary<(int Columns, bool General, SlotReads Reads), Action<AcceleratorStream, KernelConfig, ProgramArgs>> _tailKernels = [];

    /// <summary>
    /// <see cref="TailProgram"/> for tiles of <paramref name="columns"/> (2, 3 or 4) live columns, for
    /// layers of the challenge's form or, with <paramref name="general"/>, any, reading the weight
    /// rows as <paramref name="reads"/> says (compiled on first use).
    /// </summary>
    public Action<AcceleratorStream, KernelConfig, ProgramArgs> TailKernel(int columns, bool general, SlotReads reads) =>
        StagingKernel(_tailKernels, (columns, general, reads),
            () => LoadStaging(ResidentKernelMethods.Tail(columns, FusedProductSum, general ? typeof(GeneralLayers) : typeof(ChallengeLayers), reads)));

    /// <summary>The fused multiply-add of this accelerator's kernels: the device's, or the CPU simulator's exact software one.</summary>
    private Type FusedProductSum => Accelerator.AcceleratorType == AcceleratorType.CPU ? typeof(SimulatedFusedProductSum) : typeof(DeviceFusedProductSum);

    /// <summary>Loads a kernel of the resident-input family (groups of up to <see cref="ResidentInputKernel.GroupSize"/>; fewer on the simulator).</summary>
    private Action<AcceleratorStream, KernelConfig, ProgramArgs> LoadStaging(System.Reflection.MethodInfo kernel) =>
        Accelerator.LoadKernel(kernel.CreateDelegate<Action<ProgramArgs>>(),
            Accelerator.AcceleratorType == AcceleratorType.CPU ? ResidentInputKernel.SimulatedSpecialization : ResidentInputKernel.Specialization);

    public Context Context { get; }
    public Accelerator Accelerator { get; }
    public bool IsCuda => Accelerator is CudaAccelerator;

    public Action<AcceleratorStream, KernelConfig, ProgramArgs> Program => Kernels.Program;

    /// <summary>Groups of <see cref="LayerProgram"/> that the device runs at once (known once the kernels are compiled).</summary>
    public int MaxResidentGroups
    {
        get
        {
            _ = Kernels;
            return _maxResidentGroups;
        }
        private set
        {
            _ = Kernels;
            _maxResidentGroups = value;
        }
    }

    /// <summary>Tests only: pretends the device holds <paramref name="groups"/> groups at once.</summary>
    internal void OverrideResidentGroups(int groups) => MaxResidentGroups = Math.Max(1, groups);

    /// <summary>
    /// Halves <see cref="MaxResidentGroups"/> after a grid barrier timed out (fewer groups than
    /// the occupancy figure are resident); false when already down to one per multiprocessor.
    /// </summary>
    public bool ReduceResidentGroups()
    {
        int floor = Math.Max(1, Accelerator.NumMultiprocessors);
        if (MaxResidentGroups <= floor) return false;
        MaxResidentGroups = Math.Max(floor, MaxResidentGroups / 2);
        return true;
    }
    public Action<AcceleratorStream, Index1D, BitmapArgs> ExpandBitmap => Kernels.ExpandBitmap;
    public Action<AcceleratorStream, KernelConfig, ImageRowsArgs> ScatterRows => Kernels.ScatterRows;
    public Action<AcceleratorStream, KernelConfig, ColumnArgs> Hash => Kernels.Hash;
    public Action<AcceleratorStream, KernelConfig, ColumnArgs> Compare => Kernels.Compare;
    public Action<AcceleratorStream, KernelConfig, ColumnArgs> Gather => Kernels.Gather;

    public string Description => $"{Accelerator.Name} ({Accelerator.AcceleratorType}, {Accelerator.NumMultiprocessors} multiprocessors, {Accelerator.MemorySize / (1 << 20)} MiB)";

    /// <summary>Device memory free now (the CPU simulator reports its nominal size).</summary>
    public long FreeMemory => Accelerator is CudaAccelerator cuda ? cuda.GetFreeMemory() : Accelerator.MemorySize;

    public static GpuDevice Open(GpuAcceleratorChoice choice, int deviceIndex = 0, int simulatedMultiprocessors = 1, bool profiling = false)
    {
        if (choice == GpuAcceleratorChoice.CpuSimulator)
        {
            var context = SimulatorContext.Get(profiling);
            // 32-lane warps like the GPU; enough warps for the largest group simulated (256 threads).
            var device = new CPUDevice(TiledLayout.WarpSize, TiledLayout.WarpsPerBlock, Math.Max(1, simulatedMultiprocessors));
            return new GpuDevice(context, device.CreateCPUAccelerator(context, CPUAcceleratorMode.Parallel), ownsContext: false);
        }
        CudaLibraryResolver.Install();
        var cuda = Context.Create(b => Profile(b.Optimize(OptimizationLevel.O2).Cuda(), profiling));
        try
        {
            var devices = cuda.GetCudaDevices();
            if (devices.Count == 0) throw new NotSupportedException("No CUDA device found (is the NVIDIA driver's libcuda.so.1 installed?).");
            if ((uint)deviceIndex >= (uint)devices.Count)
                throw new NotSupportedException($"There is no CUDA device {deviceIndex}: this machine has {devices.Count} (0..{devices.Count - 1}).");
            return new GpuDevice(cuda, devices[deviceIndex].CreateCudaAccelerator(cuda));
        }
        catch
        {
            cuda.Dispose();
            throw;
        }
    }

    internal static Context.Builder Profile(Context.Builder builder, bool profiling) => profiling ? builder.Profiling() : builder;

    /// <summary>True when a CUDA device can be used (driver found and at least one device).</summary>
    public static bool CudaAvailable() => CudaDeviceCount() > 0;

    private static readonly Lazy<int> CountedCudaDevices = new(CountCudaDevices);

    /// <summary>Usable CUDA devices; 0 without a driver (counted once per process: it opens a context).</summary>
    public static int CudaDeviceCount() => CountedCudaDevices.Value;

    private static int CountCudaDevices()
    {
        try
        {
            CudaLibraryResolver.Install();
            using var context = Context.Create(b => b.Cuda());
            return context.GetCudaDevices().Count;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or InvalidOperationException or NotSupportedException)
        {
            return 0;
        }
    }

    // The host array image bitmaps are built in, kept between batches (null while one is built):
    // a fresh one of 0.5 GB (N = 65536) costs its page faults on every upload.
    private uint[]? _bitmapScratch;

    /// <summary>A host array of at least <paramref name="length"/> words for an image bitmap; give it back with <see cref="ReturnBitmapScratch"/>.</summary>
    internal uint[] TakeBitmapScratch(long length)
    {
        var scratch = Interlocked.Exchange(ref _bitmapScratch, null);
        return scratch is not null && scratch.LongLength >= length ? scratch : GC.AllocateUninitializedArray<uint>(checked((int)length));
    }

    /// <summary>Keeps <paramref name="scratch"/> for the next batch (the larger one, where another came back meanwhile).</summary>
    internal void ReturnBitmapScratch(uint[] scratch)
    {
        var kept = Interlocked.Exchange(ref _bitmapScratch, scratch);
        if (kept is not null && kept.LongLength > scratch.LongLength) Interlocked.CompareExchange(ref _bitmapScratch, kept, scratch);
    }

    public void Dispose()
    {
        // Not while the kernels are being compiled on the device.
        try
        {
            _kernels.Wait();
        }
        catch (AggregateException)
        {
            // A failure to compile was reported to whoever used the kernels.
        }
        Accelerator.Dispose();
        if (_ownsContext) Context.Dispose();
    }
}
