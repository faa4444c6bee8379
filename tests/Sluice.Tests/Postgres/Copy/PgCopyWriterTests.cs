using Sluice.Postgres.Copy;

namespace Sluice.Tests.Postgres.Copy;

public class PgCopyWriterTests
{
    private static readonly byte[] Header = [.. "PGCOPY\n"u8, 0xFF, .. "\r\n"u8, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    [Fact]
    public void An_empty_file_is_the_header_then_the_trailer()
    {
        using var stream = new MemoryStream();
        using (var writer = new PgCopyWriter(stream))
        {
            writer.Complete();
        }

        Assert.Equal([.. Header, 0xFF, 0xFF], stream.ToArray());
    }

    [Fact]
    public void A_row_is_a_field_count_then_length_prefixed_fields()
    {
        using var stream = new MemoryStream();
        using (var writer = new PgCopyWriter(stream))
        {
            writer.BeginRow(2);
            writer.WriteInt32(7);
            writer.WriteNull();
            writer.EndRow();
            writer.Complete();
        }

        Assert.Equal([.. Header, 0, 2, 0, 0, 0, 4, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], stream.ToArray());
    }

    [Fact]
    public void A_cancelled_row_leaves_no_bytes_even_across_a_flush()
    {
        using var stream = new MemoryStream();
        using (var writer = new PgCopyWriter(stream, bufferSize: 4096))
        {
            writer.BeginRow(1);
            writer.WriteUtf8(new string('a', 3000));
            writer.EndRow();
            writer.BeginRow(2);
            writer.WriteUtf8(new string('b', 3000)); // forces a flush while this row is in progress
            writer.CancelRow();
            writer.Complete();
            Assert.Equal(1, writer.RowCount);
        }

        var bytes = stream.ToArray();
        Assert.Equal(Header.Length + 2 + 4 + 3000 + 2, bytes.Length);
        Assert.DoesNotContain((byte)'b', bytes);
    }

    [Fact]
    public void A_field_larger_than_the_buffer_grows_it()
    {
        using var stream = new MemoryStream();
        using (var writer = new PgCopyWriter(stream, bufferSize: 4096))
        {
            writer.BeginRow(1);
            writer.WriteUtf8(new string('x', 100_000));
            writer.EndRow();
            writer.Complete();
        }

        Assert.Equal(Header.Length + 2 + 4 + 100_000 + 2, stream.Length);
    }
}
