using Sluice.Control;
using Sluice.Observability;
using Sluice.Tests.Infrastructure;
using Sluice.Workflows;

namespace Sluice.Tests.Workflows;

public sealed class TaskSignalTests
{
    [Fact]
    public async Task Each_task_made_ready_wakes_one_idle_worker_even_when_one_commit_readies_several()
    {
        await using var env = await TestEnvironment.CreateAsync();
        for (var i = 0; i < 2; i++)
            await env.ControlPlane.Jobs.CreateAsync(new NewJob("p", "load", "inbox", $"k{i}.csv", 1, new string('a', 64),
                "name: p", "p.yaml", "test", "download", 3, TimeSpan.FromMilliseconds(100)), env.Settings.WorkspaceRoot, CancellationToken.None);
        for (var i = 0; i < 2; i++)
            Assert.NotNull(await env.ControlPlane.Tasks.ClaimAsync($"w{i}", TimeSpan.FromMinutes(5), null, CancellationToken.None));
        await using var signal = new TaskSignal(env.ControlPlane.DataSource, new JobLog(null, LogLevel.Error, false, TextWriter.Null));
        // The listener pulses once when it starts listening (for tasks queued before): after that it hears every task.
        await signal.WaitAsync(TimeSpan.FromMinutes(1), CancellationToken.None);

        var waiters = Enumerable.Range(0, 3).Select(_ => signal.WaitAsync(TimeSpan.FromMinutes(5), CancellationToken.None)).ToList();
        // One commit makes both tasks ready again (as a chunked stage fanning out does).
        await env.ExecuteAsync("update sluice.tasks set status = 'ready', lease_owner = null, lease_token = null, lease_expires_at = null");

        var woken = new List<Task>();
        for (var i = 0; i < 2; i++)
            woken.Add(await Task.WhenAny(waiters.Except(woken)).WaitAsync(TimeSpan.FromSeconds(30)));
        await env.ScalarAsync<int>("select 1");   // a round trip's time for any further wake-up to land
        Assert.Equal(1, waiters.Count(w => !w.IsCompleted));

        signal.Pulse();
        await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_pulse_with_no_worker_waiting_is_kept_for_the_next_one_but_only_one()
    {
        await using var env = await TestEnvironment.CreateAsync();
        await using var signal = new TaskSignal(env.ControlPlane.DataSource, new JobLog(null, LogLevel.Error, false, TextWriter.Null));
        await signal.WaitAsync(TimeSpan.FromMinutes(1), CancellationToken.None);   // the listener's start

        signal.Pulse();
        signal.Pulse();

        Assert.True(signal.WaitAsync(TimeSpan.FromMinutes(5), CancellationToken.None).IsCompletedSuccessfully);
        var next = signal.WaitAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.False(next.IsCompleted);
        signal.Pulse();
        await next.WaitAsync(TimeSpan.FromMinutes(1));
    }
}
