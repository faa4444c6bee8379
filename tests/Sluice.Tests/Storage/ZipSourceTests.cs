using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using Sluice.Errors;
using Sluice.Storage;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Storage;

public sealed class ZipSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-zip-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_one_file_of_an_archive_extracts_to_its_bytes_past_folders_and_archiver_metadata()
    {
        var content = CompressibleText.Lines(1, 200_000);
        var zip = Write("p.csv.zip", ZipFiles.Archive(
            ("export/", []), ("__MACOSX/export/._payments.csv", [0, 5, 22, 7]), ("export/.DS_Store", [1, 2]),
            ("export/payments.csv", content), ("Thumbs.db", [3])));
        var target = Path.Combine(_dir, "p.csv");

        var (size, sha, entry) = await ZipSource.InflateAsync(zip, target, "inbox/p.csv.zip", 200, CancellationToken.None);

        Assert.Equal(content, await File.ReadAllBytesAsync(target));
        Assert.Equal((content.LongLength, Convert.ToHexStringLower(SHA256.HashData(content)), "export/payments.csv"), (size, sha, entry));
    }

    [Fact]
    public async Task An_archive_of_several_files_is_refused_naming_them_since_a_job_is_one_file()
    {
        var zip = Write("two.zip", ZipFiles.Archive(("a.csv", "x\n1\n"u8.ToArray()), ("__MACOSX/._a.csv", [0]), ("b.csv", "x\n2\n"u8.ToArray())));

        var refused = await RefusedAsync(zip, "two");

        Assert.Equal("source.zip_entries", refused.Code);
        Assert.Equal("inbox/two.zip holds 2 files (a.csv, b.csv); Sluice reads one file from an archive: send each file on its own " +
                     "(zipped alone, if you like), and each gets its own job.", refused.Message);
    }

    [Fact]
    public async Task An_archive_of_folders_only_is_refused_as_holding_no_file()
    {
        var refused = await RefusedAsync(Write("empty.zip", ZipFiles.Archive(("data/", []))), "empty");

        Assert.Equal(("source.zip_entries", "inbox/empty.zip holds no file (only folders or archiver metadata); put the archive with its file in its place."),
            (refused.Code, refused.Message));
    }

    [Fact]
    public async Task A_stored_entry_whose_bytes_were_damaged_fails_its_crc_and_leaves_no_file()
    {
        var content = CompressibleText.Lines(2, 1_000);
        var zip = ZipFiles.Archive(CompressionLevel.NoCompression, ("p.csv", content));
        var at = zip.AsSpan().IndexOf(content.AsSpan(0, 40)) + 20;
        zip[at] ^= 0x01;

        var refused = await RefusedAsync(Write("bad.zip", zip), "bad");

        Assert.Equal("source.zip_corrupt", refused.Code);
        Assert.StartsWith($"inbox/bad.zip is not a readable zip archive: p.csv extracts to {content.Length:N0} bytes with CRC-32 ", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith("The file is damaged or was cut short: put a complete copy in its place.", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "bad")));
    }

    [Fact]
    public async Task An_archive_cut_short_is_refused_as_damaged()
    {
        var zip = ZipFiles.Archive(("p.csv", CompressibleText.Lines(3, 50_000)));

        var refused = await RefusedAsync(Write("cut.zip", zip[..(zip.Length / 2)]), "cut");

        Assert.Equal("source.zip_corrupt", refused.Code);
        Assert.Contains("cut short", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_compressed_with_another_method_or_a_password_is_refused_saying_how_to_zip_it()
    {
        var zip = ZipFiles.Archive(CompressionLevel.NoCompression, ("p.csv", CompressibleText.Lines(4, 100)));

        var bzip2 = await RefusedAsync(Write("bz.zip", ZipFiles.WithFirstEntryField(zip, ZipFiles.MethodOffset, 12)), "bz");
        var encrypted = await RefusedAsync(Write("enc.zip", ZipFiles.WithFirstEntryField(zip, ZipFiles.FlagsOffset, 1)), "enc");

        Assert.Equal("source.zip_method", bzip2.Code);
        Assert.StartsWith("inbox/bz.zip holds p.csv compressed in a way Sluice cannot read (", bzip2.Message, StringComparison.Ordinal);
        Assert.EndsWith("zip it again with the standard method (Deflate, what zip writes by default) or without compression.", bzip2.Message, StringComparison.Ordinal);
        Assert.Equal(("source.zip_encrypted", "inbox/enc.zip holds p.csv encrypted (password-protected), which Sluice cannot read; zip it again without a password."),
            (encrypted.Code, encrypted.Message));
    }

    [Fact]
    public async Task An_entry_that_inflates_past_the_limit_is_stopped_as_a_bomb_and_leaves_nothing()
    {
        var zip = Write("bomb.zip", ZipFiles.Archive(("zeros.csv", new byte[80 << 20])));

        var refused = await RefusedAsync(zip, "bomb");

        Assert.Equal("source.inflate_limit", refused.Code);
        Assert.False(File.Exists(Path.Combine(_dir, "bomb")));
    }

    [Fact]
    public async Task An_archive_listing_more_entries_than_fit_in_memory_bounds_is_refused_before_they_are_read()
    {
        var many = Enumerable.Range(0, 20_000).Select(i => ($"folder-{i:D6}/", Array.Empty<byte>())).ToArray();

        var refused = await RefusedAsync(Write("many.zip", ZipFiles.Archive(many)), "many");

        Assert.Equal("source.zip_entries", refused.Code);
        Assert.StartsWith("inbox/many.zip lists more entries than Sluice reads (", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_zip64_end_record_claiming_a_huge_directory_is_read_and_refused()
    {
        // The end record defers to a Zip64 record (directory size 0xFFFFFFFF), which claims 64 MiB of entries.
        var zip = ZipFiles.Archive(("p.csv", "x\n1\n"u8.ToArray()));
        var end = zip.AsSpan().LastIndexOf((ReadOnlySpan<byte>)[0x50, 0x4B, 0x05, 0x06]);
        var record = new byte[56];
        BinaryPrimitives.WriteUInt32LittleEndian(record, 0x06064B50);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(4), 44);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(40), 64L << 20);
        var locator = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(locator, 0x07064B50);
        BinaryPrimitives.WriteInt64LittleEndian(locator.AsSpan(8), end);
        var endRecord = zip[end..];
        BinaryPrimitives.WriteUInt32LittleEndian(endRecord.AsSpan(12), uint.MaxValue);

        var refused = await RefusedAsync(Write("z64.zip", [.. zip[..end], .. record, .. locator, .. endRecord]), "z64");

        Assert.Equal("source.zip_entries", refused.Code);
        Assert.Contains($"({64L << 20:N0} bytes of names", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_zip_name_over_other_content_says_what_the_content_is()
    {
        var gz = Write("p.csv.zip", GzipFiles.Compress("x\n1\n"u8.ToArray()));

        var refused = await RefusedAsync(gz, "p.csv");

        Assert.Equal(("source.not_zip", "inbox/p.csv.zip is named .zip but is gzip-compressed; put it under a name ending in .gz instead of .zip and Sluice decompresses it."),
            (refused.Code, refused.Message));
    }

    [Theory]
    [InlineData("payments.csv.zip", "payments.csv")]
    [InlineData("payments.ZIP", "payments")]
    [InlineData(".zip", "inflated")]
    [InlineData("payments.csv", "payments.csv")]
    public void The_extracted_file_is_named_after_the_archive_without_zip(string name, string inflated) =>
        Assert.Equal(inflated, CompressedSource.InflatedName(name));

    private async Task<SluiceException> RefusedAsync(string zip, string target) =>
        await Assert.ThrowsAsync<SluiceException>(() =>
            ZipSource.InflateAsync(zip, Path.Combine(_dir, target), "inbox/" + Path.GetFileName(zip), 200, CancellationToken.None));

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
