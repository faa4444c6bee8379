using Sluice.Pipelines;

namespace Sluice.Tests.Docs;

/// <summary>The pipelines README tells a new user to copy run as they are.</summary>
public sealed class ExamplePipelinesTests
{
    [Fact]
    public void The_example_pipelines_are_valid_and_send_nothing_to_an_address_that_does_not_answer()
    {
        var catalog = PipelineLoader.LoadDirectory(Path.Combine(Repository.Root, "examples", "pipelines"));

        var payments = Assert.Single(catalog.All);
        Assert.Equal(("payments", "public", "transactions"), (payments.Name, payments.Target?.Schema, payments.Target?.Table));
        // A webhook left pointing at nothing would fail every job's notify stage, retries and all.
        Assert.Empty(payments.Notify);
    }
}
