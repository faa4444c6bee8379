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
    public void An_object_path_always_stays_inside_its_bucket_folder()
    {
        var buckets = new FolderBuckets("/srv/buckets");
        Assert.Equal("/srv/buckets/inbox/payments/a.csv", buckets.ObjectPath("inbox", "payments/a.csv"));
        Assert.Throws<SluiceException>(() => buckets.ObjectPath("inbox", "../outbox/a.csv"));
        Assert.Throws<SluiceException>(() => buckets.ObjectPath("../etc", "passwd"));
    }
}
