using SpDnn.Model;

namespace SpDnn.Engines;

/// <summary>
/// Refuses, before planning, a network that an engine cannot run: engines that run only the
/// challenge's layer form (<see cref="ILayerSource.IsChallengeForm"/>) are told apart by
/// <see cref="IInferenceEngine.RunsGeneralForm"/>. Kept outside the engines so one message serves all.
/// </summary>
internal static class NetworkFormCheck
{
    /// <exception cref="NotSupportedException">The engine runs only the challenge form and the network is not of it.</exception>
    public static void EnsureRuns(IInferenceEngine engine, ILayerSource network)
    {
        if (network.IsChallengeForm || engine.RunsGeneralForm) return;
        throw new NotSupportedException(
            $"The {engine.Name} engine runs only the challenge's layer form (square layers, ReLU capped at 32, bias on nonzero sums, "
            + $"answer = nonzero rows); {network.Description} is a general network ({Describe(network)}). "
            + $"Use an engine that runs general networks ({string.Join(", ", EngineFactory.All.Where(e => e.RunsGeneralForm).Select(e => e.Name))}) on one device.");
    }

    /// <summary>Shape and forms in a few words, e.g. "784 -> 300 -> 10, class read-out".</summary>
    public static string Describe(ILayerSource network)
    {
        var widths = new List<int> { network.Neurons };
        var forms = new HashSet<string>();
        if (network.LayerCount <= 64)
        {
            for (int k = 0; k < network.LayerCount; k++)
            {
                var layer = network.GetLayer(k);
                widths.Add(layer.Neurons);
                forms.Add(layer.Form.ToString());
            }
        }
        string shape = network.LayerCount <= 64 ? string.Join(" -> ", widths) : $"{network.LayerCount} layers";
        string readOut = network.ReadOut == ReadOut.Class ? "class read-out" : "nonzero-rows read-out";
        return forms.Count == 0 ? $"{shape}, {readOut}" : $"{shape}; {string.Join("; ", forms)}; {readOut}";
    }
}
