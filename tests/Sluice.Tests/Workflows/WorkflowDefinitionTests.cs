using Sluice.Workflows;

namespace Sluice.Tests.Workflows;

public sealed class WorkflowDefinitionTests
{
    [Fact]
    public void Each_workflow_is_replayed_from_its_own_stages_after_receive_and_never_from_merge()
    {
        Assert.Equal(["download", "transform", "load", "publish", "notify"], WorkflowDefinition.Loader.ReplayableStages);
        Assert.Equal(["download", "convert", "validate", "publish", "notify"], WorkflowDefinition.Convertor.ReplayableStages);
    }
}
