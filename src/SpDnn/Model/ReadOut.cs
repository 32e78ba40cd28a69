namespace SpDnn.Model;

/// <summary>What a network's answer is.</summary>
public enum ReadOut
{
    /// <summary>The challenge's: the images whose final row still has a nonzero (categories).</summary>
    NonzeroRows,

    /// <summary>A class per image: the index of the largest final output (argmax, ties to the lowest index), with the logits available.</summary>
    Class,
}
