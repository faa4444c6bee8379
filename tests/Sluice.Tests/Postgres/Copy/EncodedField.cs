using System.Buffers.Binary;
using Sluice.Pipelines;
using Sluice.Postgres.Copy;

namespace Sluice.Tests.Postgres.Copy;

/// <summary>Encodes one field into a one-row PGCOPY file and returns the field's payload bytes.</summary>
internal static class EncodedField
{
    private const int HeaderLength = 11 + 4 + 4;

    public static (byte[]? Payload, string? Reason) Encode(ColumnType type, string field, bool nullable = true, IReadOnlyList<string>? nullMarkers = null)
    {
        var encoder = new FieldEncoder(new ColumnDefinition("c", type, nullable), nullMarkers ?? [""]);
        using var stream = new MemoryStream();
        using (var writer = new PgCopyWriter(stream))
        {
            writer.BeginRow(1);
            var reason = encoder.Write(field, writer);
            if (reason is not null)
            {
                return (null, reason);
            }

            writer.Complete();
        }

        var bytes = stream.ToArray().AsSpan(HeaderLength + 2, (int)stream.Length - HeaderLength - 2 - 2);
        var length = BinaryPrimitives.ReadInt32BigEndian(bytes);
        Assert.Equal(length < 0 ? 4 : 4 + length, bytes.Length);
        return (length < 0 ? null : bytes[4..].ToArray(), null);
    }

    public static byte[] Valid(ColumnType type, string field)
    {
        var (payload, reason) = Encode(type, field);
        Assert.True(reason is null, $"'{field}' was rejected: {reason}");
        return payload!;
    }

    public static string Rejected(ColumnType type, string field, bool nullable = true)
    {
        var (_, reason) = Encode(type, field, nullable);
        Assert.True(reason is not null, $"'{field}' was accepted as {type}");
        return reason!;
    }

    /// <summary>Reads a numeric payload back as (ndigits, weight, sign, dscale, digits).</summary>
    public static (int NDigits, int Weight, int Sign, int DScale, short[] Digits) Numeric(byte[] payload)
    {
        var span = payload.AsSpan();
        var n = BinaryPrimitives.ReadInt16BigEndian(span);
        var digits = new short[n];
        for (var i = 0; i < n; i++)
        {
            digits[i] = BinaryPrimitives.ReadInt16BigEndian(span[(8 + (2 * i))..]);
        }

        Assert.Equal(8 + (2 * n), payload.Length);
        return (n, BinaryPrimitives.ReadInt16BigEndian(span[2..]), BinaryPrimitives.ReadUInt16BigEndian(span[4..]),
            BinaryPrimitives.ReadInt16BigEndian(span[6..]), digits);
    }
}
