using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Sluice.Errors;
using Sluice.Storage;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Storage;

public sealed class GzipSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-gzip-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Several_members_inflate_to_their_bytes_in_order_with_the_hash_of_the_whole()
    {
        var parts = new[] { CompressibleText.Lines(1, 300_000), CompressibleText.Lines(2, 10), CompressibleText.Lines(3, 700_000) };
        var gz = Write("multi.csv.gz", parts.SelectMany(p => Member(p)).ToArray());
        var target = Path.Combine(_dir, "multi.csv");

        var (size, sha) = await GzipSource.InflateAsync(gz, target, "inbox/multi.csv.gz", 200, CancellationToken.None);

        var whole = parts.SelectMany(p => p).ToArray();
        Assert.Equal(whole, await File.ReadAllBytesAsync(target));
        Assert.Equal((whole.LongLength, Convert.ToHexStringLower(SHA256.HashData(whole))), (size, sha));
    }

    [Fact]
    public async Task A_header_with_a_name_an_extra_field_a_comment_and_a_checksum_is_read_past()
    {
        var data = CompressibleText.Lines(4, 50_000);
        var member = Member(data);
        // FEXTRA | FNAME | FCOMMENT | FHCRC, with their fields, before the same deflate data and trailer.
        var header = new List<byte> { 0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3, 4, 0, (byte)'B', (byte)'C', 0, 0 };
        header.AddRange(Encoding.ASCII.GetBytes("payments.csv\0a comment\0"));
        header.AddRange([0, 0]);
        var gz = Write("named.csv.gz", [.. header, .. member[10..]]);
        var target = Path.Combine(_dir, "named.csv");

        await GzipSource.InflateAsync(gz, target, "inbox/named.csv.gz", 200, CancellationToken.None);

        Assert.Equal(data, await File.ReadAllBytesAsync(target));
    }

    [Fact]
    public async Task Zero_padding_after_the_last_member_is_ignored_but_other_trailing_bytes_are_refused()
    {
        var data = CompressibleText.Lines(5, 20_000);
        var padded = Write("padded.csv.gz", [.. Member(data), .. new byte[512]]);
        var garbage = Write("garbage.csv.gz", [.. Member(data), .. "more rows\n"u8.ToArray()]);

        await GzipSource.InflateAsync(padded, Path.Combine(_dir, "padded.csv"), "inbox/padded.csv.gz", 200, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<SluiceException>(() =>
            GzipSource.InflateAsync(garbage, Path.Combine(_dir, "garbage.csv"), "inbox/garbage.csv.gz", 200, CancellationToken.None));

        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(_dir, "padded.csv")));
        Assert.Equal("source.gzip_corrupt", refused.Code);
        Assert.Contains("inbox/garbage.csv.gz", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "garbage.csv")));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.99)]
    public async Task A_file_cut_anywhere_fails_instead_of_inflating_part_of_it(double keep)
    {
        var whole = Member(CompressibleText.Lines(6, 400_000));
        var cut = Write("cut.csv.gz", whole[..(int)(whole.Length * keep)]);
        var lastByteGone = Write("short.csv.gz", whole[..^1]);

        foreach (var file in new[] { cut, lastByteGone })
        {
            var refused = await Assert.ThrowsAsync<SluiceException>(() =>
                GzipSource.InflateAsync(file, Path.Combine(_dir, "out.csv"), "inbox/" + Path.GetFileName(file), 200, CancellationToken.None));
            Assert.Equal("source.gzip_corrupt", refused.Code);
            Assert.Contains("cut short", refused.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_changed_byte_in_the_trailer_fails_the_checksum()
    {
        var member = Member(CompressibleText.Lines(7, 30_000));
        member[^6] ^= 0x40;
        var gz = Write("flipped.csv.gz", member);

        var refused = await Assert.ThrowsAsync<SluiceException>(() =>
            GzipSource.InflateAsync(gz, Path.Combine(_dir, "flipped.csv"), "inbox/flipped.csv.gz", 200, CancellationToken.None));

        Assert.Equal("source.gzip_corrupt", refused.Code);
    }

    [Fact]
    public void The_limit_is_the_ratio_times_the_compressed_size_but_never_below_the_floor_and_none_at_ratio_zero()
    {
        Assert.Equal(CompressedSource.LimitFloorBytes, CompressedSource.Limit(1_000, 200));
        Assert.Equal(200L * 10_000_000, CompressedSource.Limit(10_000_000, 200));
        Assert.Equal(long.MaxValue, CompressedSource.Limit(10_000_000, 0));
        Assert.Equal(long.MaxValue, CompressedSource.Limit(long.MaxValue / 2, 200));
    }

    [Theory]
    [InlineData("p.csv.gz", "p.csv")]
    [InlineData("P.CSV.GZ", "P.CSV")]
    [InlineData("p.csv", "p.csv")]
    [InlineData(".gz", "inflated")]
    public void The_inflated_file_is_named_without_gz(string name, string inflated) =>
        Assert.Equal(inflated, GzipSource.InflatedName(name));


    /// <summary>One gzip member, as .NET writes it (a ten-byte header with no optional fields).</summary>
    private static byte[] Member(byte[] data)
    {
        var bytes = GzipFiles.Compress(data);
        Assert.Equal(Crc32.HashToUInt32(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 8)));
        return bytes;
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
