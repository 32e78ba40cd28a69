using SpDnn.Engines.Gpu;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>The kernels also compile for CUDA (what the simulator tests cannot show) without a GPU.</summary>
public sealed class PtxCompilerTests
{
    [Fact]
    public void EveryKernelCompilesToPtx()
    {
        var ptx = PtxCompiler.CompileAll();
        Assert.Equal(PtxCompiler.Kernels.Keys.Order(), ptx.Keys);
        foreach (var (name, text) in ptx)
        {
            Assert.Contains(".visible .entry", text);
            Assert.Contains(".target sm_80", text);
        }
        // The layer program's grid barrier: a fenced arrival and a polling wait with a pause.
        var program = ptx["layer-program"];
        Assert.Contains("membar.gl", program);
        Assert.Contains("red.add.global.u32", program);
        Assert.Contains("nanosleep.u32", program);
        Assert.Contains("%globaltimer", program); // the barrier gives up instead of hanging
        // No inline-PTX arithmetic: ILGPU routes inline-PTX outputs through local memory and, in
        // a kernel this size, ptxas kept those stores (one per multiply-add, 5.5x slower). The
        // few left are the barrier's timer reads.
        Assert.DoesNotContain("mul.rn.f32", program);
        Assert.DoesNotContain("fma.rn.f32", program);
        Assert.InRange(program.Split("st.local").Length - 1, 0, 16);
        // Rounded products pass through an exclusive or with a run-time zero, so ptxas cannot
        // contract them into fused multiply-adds (bit-identical to the reference).
        Assert.Contains("xor.b32", program);
        // Staged inputs read as 16-byte quads, outputs written as 16-byte quads.
        Assert.Contains("ld.shared.v4.f32", program);
        Assert.Contains("st.global.v4.f32", program);
        // Nothing left for the driver to resolve (a BCL call ILGPU cannot lower shows up as an extern).
        Assert.DoesNotContain(".extern", program);
        // The program for general layers (forms read from the table) keeps the same care.
        foreach (var general in new[] { ptx["layer-program-general"], ptx["resident-16-general"] })
        {
            Assert.DoesNotContain("fma.rn.f32", general);
            Assert.InRange(general.Split("st.local").Length - 1, 0, 16);
            Assert.Contains("xor.b32", general);
            Assert.DoesNotContain(".extern .func", general);
        }
    }
}
