using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// A network in the SpDnn binary format: memory-mapped, any layer read directly through the index.
/// Version 1 holds square challenge-form layers; version 2 any shapes, forms and read-out, all
/// known from the index on opening.
/// </summary>
internal sealed class BinaryNetworkSource : IRecyclingLayerSource, IDisposable
{
    private readonly BinaryFileReader _file;
    private readonly float? _bias;
    private readonly LayerForm[] _forms;

    /// <param name="layers">Use the first L layers (all by default).</param>
    /// <param name="bias">Replaces the stored per-neuron biases with this constant when given.</param>
    public BinaryNetworkSource(string path, int? layers = null, float? bias = null)
    {
        _file = new BinaryFileReader(path);
        try
        {
            var header = _file.Header;
            if (header.Kind != BinaryKind.Network)
                throw new SpDnnDataException(path, $"holds {header.Kind.ToString().ToLowerInvariant()}, not a network", byteOffset: 12);
            bool general = header.Version >= BinaryFormat.GeneralVersion;
            if (!general && header.Rows != header.Columns)
                throw new SpDnnDataException(path, "corrupt header (a network's layers must be square)", byteOffset: 16);
            int available = _file.SectionCount;
            LayerCount = layers ?? available;
            if (LayerCount < 1 || LayerCount > available)
                throw new SpDnnDataException(path, $"{LayerCount} layers requested, the file holds {available}");
            Neurons = header.Rows;
            ReadOut = general ? header.ReadOut : ReadOut.NonzeroRows;
            _forms = new LayerForm[LayerCount];
            int width = Neurons, widest = width;
            bool challenge = ReadOut == ReadOut.NonzeroRows;
            for (int k = 0; k < LayerCount; k++)
            {
                var s = _file.Section(k);
                int columns = general ? s.Columns : header.Columns;
                if (s.Rows != width)
                    throw new SpDnnDataException(path, $"layer {k + 1} has {s.Rows} inputs, but {(k == 0 ? "the network takes" : $"layer {k} gives")} {width}",
                        byteOffset: header.IndexOffset + (long)k * BinaryFormat.IndexEntrySize);
                _forms[k] = general ? BinaryFormat.Decode(s.Flags & ~BinaryFormat.FlagBias, s.Cap)!.Value : LayerForm.Challenge;
                challenge &= s.Rows == columns && _forms[k] == LayerForm.Challenge;
                width = columns;
                widest = Math.Max(widest, width);
            }
            Outputs = width;
            MaxWidth = widest;
            IsChallengeForm = challenge;
            if (bias is not null) _bias = NetworkBias.Resolve(path, Neurons, bias);
            ContentChecksum = IndexChecksum();
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    public int Neurons { get; }
    public int LayerCount { get; }
    public int MaxWidth { get; }
    public int Outputs { get; }
    public ReadOut ReadOut { get; }
    public bool IsChallengeForm { get; }
    public string Description => IsChallengeForm ? $"{_file.Path} (N={Neurons}, L={LayerCount})" : $"{_file.Path} ({Neurons} inputs, L={LayerCount})";

    /// <summary>
    /// From the header and the index entries of the layers used (each entry holds its section's
    /// checksum, which reading the layer verifies), and the bias given in place of the stored one.
    /// </summary>
    public UInt128 ContentChecksum { get; }

    private UInt128 IndexChecksum()
    {
        var hash = new System.IO.Hashing.XxHash128();
        var header = _file.Header;
        Span<byte> entry = stackalloc byte[40];
        entry.Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(entry, header.Version);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(entry[4..], header.Rows);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(entry[8..], header.Columns);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(entry[12..], LayerCount);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(entry[16..], (int)ReadOut);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(entry[20..], _bias is null ? 0 : 1);
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(entry[24..], _bias ?? 0f);
        hash.Append(entry);
        for (int k = 0; k < LayerCount; k++)
        {
            var s = _file.Section(k);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(entry, s.Checksum);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(entry[8..], s.NonZeros);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(entry[16..], s.Length);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(entry[24..], s.Rows);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(entry[28..], s.Flags);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(entry[32..], s.Columns);
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(entry[36..], s.Cap);
            hash.Append(entry);
        }
        return hash.GetCurrentHashAsUInt128();
    }

    public NetworkLayer GetLayer(int index) => GetLayer(index, recycled: null);

    public NetworkLayer GetLayer(int index, CsrMatrix? recycled)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, LayerCount);
        var (weights, storedBias) = _file.ReadSection(index, recycled);
        var bias = _bias is { } constant ? NetworkLayer.ConstantBias(weights.Columns, constant)
            : storedBias ?? throw new SpDnnDataException(_file.Path, $"layer {index + 1} stores no bias", byteOffset: _file.Section(index).Offset);
        return new NetworkLayer(index, weights, bias) { Form = _forms[index] };
    }

    public void Dispose() => _file.Dispose();
}
