using Sluice.Errors;
using Sluice.Storage;

namespace Sluice.Tests.Trigger;

public sealed class ObjectKeyTests
{
    [Theory]
    [InlineData("../etc/passwd", "'..' segment")]
    [InlineData("a/../../b", "'..' segment")]
    [InlineData("/abs/path.csv", "absolute path")]
    [InlineData("a\\b.csv", "backslash")]
    [InlineData("a\nb.csv", "control character")]
    [InlineData("a//b.csv", "empty")]
    [InlineData("", "is empty")]
    public void Keys_that_could_leave_their_bucket_are_refused_with_the_reason(string key, string reason)
    {
        var e = Assert.Throws<SluiceException>(() => ObjectKey.Validate(key));
        Assert.Equal("key.invalid", e.Code);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void A_segment_must_leave_room_in_a_file_name_for_the_temporary_name_it_is_written_under()
    {
        Assert.True(ObjectKey.IsValid("payments/" + new string('a', ObjectKey.MaxSegmentBytes)));
        Assert.True(ObjectKey.IsValid(new string('\u00e9', ObjectKey.MaxSegmentBytes / 2) + "/a.csv"));
        foreach (var key in new[] { "payments/" + new string('a', ObjectKey.MaxSegmentBytes + 1), "payments/" + new string('\u00e9', 200) + ".csv" })
        {
            var e = Assert.Throws<SluiceException>(() => ObjectKey.Validate(key));
            Assert.Equal("key.invalid", e.Code);
            Assert.Contains($"longer than {ObjectKey.MaxSegmentBytes} bytes", e.Message);
        }
        // The longest name, converted to Parquet (from a file without an extension) and written under its temporary name.
        var temp = Path.GetFileName(FolderBuckets.TempNameFor("/srv/buckets/inbox/" + new string('a', ObjectKey.MaxSegmentBytes) + ".parquet"));
        Assert.Equal(255, System.Text.Encoding.UTF8.GetByteCount(temp));
    }

    [Fact]
    public void An_object_path_always_stays_inside_its_bucket_folder()
    {
        var buckets = new FolderBuckets("/srv/buckets");
        Assert.Equal("/srv/buckets/inbox/payments/a.csv", buckets.ObjectPath("inbox", "payments/a.csv"));
        Assert.Throws<SluiceException>(() => buckets.ObjectPath("inbox", "../outbox/a.csv"));
        Assert.Throws<SluiceException>(() => buckets.ObjectPath("../etc", "passwd"));
    }
}
