using Sluice.Trigger;

namespace Sluice.Tests.Trigger;

public sealed class RecordedUploadsTests
{
    private static readonly DateTime Modified = new(2026, 12, 2, 13, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Uploads_the_watcher_never_comes_to_are_forgotten_oldest_first_beyond_the_capacity()
    {
        var uploads = new RecordedUploads();
        for (var i = 0; i <= RecordedUploads.Capacity; i++)
            uploads.Begin("inbox", $"f{i}.csv", 10, Modified).Recorded();

        Assert.Equal(RecordedUploads.Capacity, uploads.Count);
        Assert.Equal(RecordedUploads.Verdict.NotOurs, uploads.PassOver("inbox", "f0.csv", 10, Modified));
        Assert.Equal(RecordedUploads.Verdict.Recorded, uploads.PassOver("inbox", "f1.csv", 10, Modified));
    }

    [Fact]
    public void Only_the_newest_upload_under_a_key_is_its_object_and_an_earlier_one_ending_leaves_it_be()
    {
        var uploads = new RecordedUploads();
        var earlier = uploads.Begin("inbox", "a.csv", 10, Modified);
        using var later = uploads.Begin("inbox", "a.csv", 12, Modified.AddSeconds(1));
        earlier.Dispose();   // failed before recording its job

        Assert.Equal(RecordedUploads.Verdict.NotOurs, uploads.PassOver("inbox", "a.csv", 10, Modified));
        Assert.Equal(RecordedUploads.Verdict.BeingRecorded, uploads.PassOver("inbox", "a.csv", 12, Modified.AddSeconds(1)));
        later.Recorded();
        Assert.Equal(RecordedUploads.Verdict.NotOurs, uploads.PassOver("other", "a.csv", 12, Modified.AddSeconds(1)));
        Assert.Equal(RecordedUploads.Verdict.Recorded, uploads.PassOver("inbox", "a.csv", 12, Modified.AddSeconds(1)));
        Assert.Equal(0, uploads.Count);
    }
}
