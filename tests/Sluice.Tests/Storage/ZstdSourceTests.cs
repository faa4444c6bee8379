using System.Security.Cryptography;
using Sluice.Errors;
using Sluice.Storage;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Storage;

public sealed class ZstdSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-zstd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Several_frames_decompress_to_their_bytes_in_order_with_the_hash_of_the_whole()
    {
        var parts = new[] { CompressibleText.Lines(1, 300_000), CompressibleText.Lines(2, 10), CompressibleText.Lines(3, 200_000) };
        var zst = Write("multi.csv.zst", parts.SelectMany(p => ZstdFiles.Compress(p)).ToArray());
        var target = Path.Combine(_dir, "multi.csv");

        var (size, sha) = await ZstdSource.InflateAsync(zst, target, "inbox/multi.csv.zst", 200, CancellationToken.None);

        var whole = parts.SelectMany(p => p).ToArray();
        Assert.Equal(whole, await File.ReadAllBytesAsync(target));
        Assert.Equal((whole.LongLength, Convert.ToHexStringLower(SHA256.HashData(whole))), (size, sha));
    }

    [Fact]
    public async Task A_file_that_starts_with_a_skippable_frame_as_pzstd_writes_decompresses_past_it()
    {
        var content = CompressibleText.Lines(7, 1_000);
        // Magic 0x184D2A50, then the length of what is skipped (4 bytes, little-endian), then those bytes.
        byte[] skippable = [0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4];
        var zst = Write("pz.csv.zst", [.. skippable, .. ZstdFiles.Compress(content)]);

        var (size, _) = await ZstdSource.InflateAsync(zst, Path.Combine(_dir, "pz.csv"), "inbox/pz.csv.zst", 200, CancellationToken.None);

        Assert.Equal(content.LongLength, size);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_dir, "pz.csv")));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.99)]
    public async Task A_file_cut_anywhere_fails_and_leaves_no_partial_file(double keep)
    {
        var whole = ZstdFiles.Compress(CompressibleText.Lines(4, 300_000));
        var cut = Write("cut.csv.zst", whole[..(int)(whole.Length * keep)]);
        var target = Path.Combine(_dir, "cut.csv");

        var refused = await Assert.ThrowsAsync<SluiceException>(() =>
            ZstdSource.InflateAsync(cut, target, "inbox/cut.csv.zst", 200, CancellationToken.None));

        Assert.Equal("source.zstd_corrupt", refused.Code);
        Assert.StartsWith("inbox/cut.csv.zst is not valid Zstandard near compressed byte ", refused.Message, StringComparison.Ordinal);
        Assert.Contains("cut short", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public async Task A_changed_byte_fails_the_content_checksum()
    {
        var frame = ZstdFiles.Compress(CompressibleText.Lines(5, 30_000));
        frame[frame.Length / 2] ^= 0x55;
        var zst = Write("flipped.csv.zst", frame);

        var refused = await Assert.ThrowsAsync<SluiceException>(() =>
            ZstdSource.InflateAsync(zst, Path.Combine(_dir, "flipped.csv"), "inbox/flipped.csv.zst", 200, CancellationToken.None));

        Assert.Equal("source.zstd_corrupt", refused.Code);
    }

    [Fact]
    public async Task A_file_named_zst_that_is_not_zstandard_is_refused_by_name()
    {
        var plain = Write("plain.csv.zst", CompressibleText.Lines(6, 100));

        var refused = await Assert.ThrowsAsync<SluiceException>(() =>
            ZstdSource.InflateAsync(plain, Path.Combine(_dir, "plain.csv"), "inbox/plain.csv.zst", 200, CancellationToken.None));

        Assert.Equal("source.not_zstd", refused.Code);
        Assert.Contains("put it under a name without .zst", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("swapped.csv.zst", "gzip", "inbox/swapped.csv.zst is named .zst but is gzip-compressed; put it under a name ending in .gz instead of .zst and Sluice decompresses it.")]
    [InlineData("swapped.csv.gz", "zstd", "inbox/swapped.csv.gz is named .gz but is zstd-compressed; put it under a name ending in .zst instead of .gz and Sluice decompresses it.")]
    [InlineData("empty.csv.zst", "", "inbox/empty.csv.zst is named .zst but is empty (0 bytes); put the complete zstd-compressed file in its place.")]
    [InlineData("empty.csv.gz", "", "inbox/empty.csv.gz is named .gz but is empty (0 bytes); put the complete gzip-compressed file in its place.")]
    public async Task A_file_compressed_the_other_way_or_empty_is_refused_saying_how_to_name_or_replace_it(string name, string content, string message)
    {
        var text = CompressibleText.Lines(6, 100);
        var file = Write(name, content switch { "gzip" => GzipFiles.Compress(text), "zstd" => ZstdFiles.Compress(text), _ => [] });

        var refused = await Assert.ThrowsAsync<SluiceException>(() =>
            CompressedSource.InflateAsync(name, file, Path.Combine(_dir, "inflated.csv"), $"inbox/{name}", 200, CancellationToken.None));

        Assert.Equal(name.EndsWith(".gz", StringComparison.Ordinal) ? "source.not_gzip" : "source.not_zstd", refused.Code);
        Assert.Equal(message, refused.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "inflated.csv")));
    }

    [Fact]
    public async Task A_frame_with_a_window_over_128_MiB_is_refused_as_written_with_long_not_as_damaged()
    {
        // A frame header as zstd --long=28 writes it for a large file: window descriptor 0x90 (2^28 bytes), then one raw
        // last block holding "id\n1\n". The content is intact; only its window is larger than the decoder takes.
        byte[] frame = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x90, (5 << 3) | 1, 0x00, 0x00, .. "id\n1\n"u8];
        var zst = Write("long.csv.zst", frame);
        var target = Path.Combine(_dir, "long.csv");

        var refused = await Assert.ThrowsAsync<SluiceException>(() =>
            ZstdSource.InflateAsync(zst, target, "inbox/long.csv.zst", 200, CancellationToken.None));

        Assert.Equal("source.zstd_window", refused.Code);
        Assert.Equal("inbox/long.csv.zst was compressed with a window larger than the 128 MiB Sluice decompresses with (as zstd --long " +
                     "writes for a large file), which would take that much memory to decompress; compress it again without --long, " +
                     "or with --long=27 or less.", refused.Message);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public async Task A_file_that_grows_past_the_limit_is_stopped_as_a_bomb_and_leaves_nothing()
    {
        // 80 MiB of zeros compress to a few kilobytes: past the 64 MiB floor of the limit.
        var zst = Write("bomb.csv.zst", ZstdFiles.Compress(new byte[80 << 20]));
        var target = Path.Combine(_dir, "bomb.csv");

        var refused = await Assert.ThrowsAsync<SluiceException>(() =>
            ZstdSource.InflateAsync(zst, target, "inbox/bomb.csv.zst", 200, CancellationToken.None));

        Assert.Equal("source.inflate_limit", refused.Code);
        Assert.StartsWith("inbox/bomb.csv.zst inflates to more than 67,108,864 bytes", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
    }

    [Theory]
    [InlineData("p.csv.zst", "p.csv")]
    [InlineData("P.JSONL.ZSTD", "P.JSONL")]
    [InlineData("p.csv", "p.csv")]
    [InlineData(".zst", "inflated")]
    public void The_decompressed_file_is_named_without_its_extension(string name, string inflated)
    {
        Assert.Equal(inflated, ZstdSource.InflatedName(name));
        Assert.Equal(inflated, CompressedSource.InflatedName(name));
    }


    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
