using Sluice.Control;
using Sluice.Errors;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Control;

public sealed class TaskQueueTests
{
    private static async Task<Guid> NewJobAsync(TestEnvironment env, string key = "k.csv")
    {
        var (id, created) = await env.ControlPlane.Jobs.CreateAsync(new NewJob("p", "load", "inbox", key, 1, new string('a', 64),
            "name: p", "p.yaml", "test", "download", 3, TimeSpan.FromMilliseconds(100)), env.Settings.WorkspaceRoot, CancellationToken.None);
        Assert.True(created);
        return id;
    }

    [Fact]
    public async Task A_task_is_claimed_by_one_worker_only()
    {
        await using var env = await TestEnvironment.CreateAsync();
        await NewJobAsync(env);

        var claims = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            env.ControlPlane.Tasks.ClaimAsync($"w{i}", TimeSpan.FromSeconds(30), null, CancellationToken.None)));

        var claimed = Assert.Single(claims, c => c is not null);
        Assert.Equal("download", claimed!.Stage);
        Assert.Equal(1, claimed.Try);
    }

    [Fact]
    public async Task A_worker_whose_lease_expired_and_was_taken_over_commits_nothing()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var job = await NewJobAsync(env);
        var first = await env.ControlPlane.Tasks.ClaimAsync("slow", TimeSpan.FromMilliseconds(1), null, CancellationToken.None);
        Assert.NotNull(first);
        // The lease runs on the database clock: wait there until it has passed, then let another worker take over.
        await env.ScalarAsync<int>("select 1 from pg_sleep(0.05)");
        var second = await env.ControlPlane.Tasks.ClaimAsync("fast", TimeSpan.FromSeconds(30), null, CancellationToken.None);
        Assert.NotNull(second);
        Assert.True(second!.TookOver);
        Assert.Equal(2, second.Try);

        var commit = new StageCommit { TaskStatus = "done", StageStatus = "succeeded", NextStage = "transform" };
        await Assert.ThrowsAsync<LeaseLostException>(() => env.ControlPlane.Tasks.CommitAsync(first!, commit, CancellationToken.None));
        Assert.False(await env.ControlPlane.Tasks.RenewAsync(first!, TimeSpan.FromSeconds(30), CancellationToken.None));
        await env.ControlPlane.Tasks.CommitAsync(second, commit, CancellationToken.None);

        Assert.Equal(1L, await env.ScalarAsync<long>("select count(*) from sluice.tasks where job_id = $1 and stage = 'transform'", job));
        Assert.Equal("abandoned,succeeded", await env.ScalarAsync<string>(
            "select string_agg(status, ',' order by id) from sluice.job_stages where job_id = $1 and name = 'download'", job));
    }

    [Fact]
    public async Task A_lane_commit_from_a_worker_that_lost_its_lease_leaves_no_trace_of_any_of_its_statements()
    {
        // The commit is one batch in one implicit transaction, the fence first: the statements after a fence that
        // failed (stage rows, counts, the chained next task) must not be committed either.
        await using var env = await TestEnvironment.CreateAsync();
        var job = await NewJobAsync(env);
        var first = (await env.ControlPlane.Tasks.ClaimAsync("slow", TimeSpan.FromMilliseconds(1), null, CancellationToken.None))!;
        await env.ScalarAsync<int>("select 1 from pg_sleep(0.05)");
        var second = await env.ControlPlane.Tasks.ClaimAsync("fast", TimeSpan.FromSeconds(30), null, CancellationToken.None);
        Assert.True(second!.TookOver);

        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var lane = new ExpressLane("slow", [
            new ExpressStage("download", new StageCommit { TaskStatus = "done", StageStatus = "succeeded", NextStage = "transform" }, now, now),
            new ExpressStage("transform", new StageCommit
            {
                TaskStatus = "done", StageStatus = "succeeded", NextStage = "load", Counts = new JobCounts(Read: 7, Rejected: 0, Filtered: 0),
            }, now, now),
        ]);
        await Assert.ThrowsAsync<LeaseLostException>(() =>
            env.ControlPlane.Tasks.CommitLaneAsync(first, lane, CancellationToken.None, ("slow", TimeSpan.FromSeconds(30))));

        Assert.Equal("download running fast", await env.ScalarAsync<string>(
            "select string_agg(stage || ' ' || status || ' ' || coalesce(lease_owner, '-'), ',') from sluice.tasks where job_id = $1", job));
        Assert.Equal("receive succeeded,download abandoned,download running", await env.ScalarAsync<string>(
            "select string_agg(name || ' ' || status, ',' order by id) from sluice.job_stages where job_id = $1", job));
        Assert.True(await env.ScalarAsync<bool>("select rows_read is null from sluice.jobs where id = $1", job));
    }

    [Fact]
    public async Task The_lease_check_inside_a_load_transaction_sees_the_lease_as_it_is_now_also_once_its_statements_are_prepared()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var job = await NewJobAsync(env);
        var task = (await env.ControlPlane.Tasks.ClaimAsync("w", TimeSpan.FromSeconds(30), null, CancellationToken.None))!;

        // As a load on the control plane's database checks its lease: in its own transaction, with the ledger row.
        async Task<bool> HeldAsync()
        {
            await using var conn = await env.ControlPlane.Loads.OpenConnectionAsync(CancellationToken.None);
            await using var tx = await conn.BeginTransactionAsync();
            var held = await Sluice.Postgres.LoadLedger.RecordAsync(conn, job, 0, 1, "public.t", 0, replacing: false, CancellationToken.None,
                TaskQueue.StillHoldsCommand(task));
            await tx.RollbackAsync();
            return held;
        }
        await Sluice.Postgres.LoadLedger.EnsureAsync(await env.ControlPlane.Loads.OpenConnectionAsync(CancellationToken.None), CancellationToken.None);

        // Several times: the load pool prepares statements used twice, and a prepared batch reads differently.
        for (var i = 0; i < 4; i++) Assert.True(await HeldAsync());
        await env.ExecuteAsync($"update sluice.tasks set lease_expires_at = now() - interval '1 second' where id = {task.Id}");
        for (var i = 0; i < 2; i++) Assert.False(await HeldAsync());
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from sluice.load_ledger"));
    }

    [Fact]
    public async Task A_lease_held_for_a_commit_elsewhere_keeps_the_task_from_changing_until_released_and_is_refused_once_gone()
    {
        await using var env = await TestEnvironment.CreateAsync();
        await NewJobAsync(env);
        var task = (await env.ControlPlane.Tasks.ClaimAsync("w", TimeSpan.FromSeconds(30), null, CancellationToken.None))!;

        // Several times: the control plane's pool prepares statements used twice, and a prepared batch reads differently.
        for (var i = 0; i < 3; i++)
        {
            var hold = await env.ControlPlane.Tasks.HoldLeaseAsync(task, TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.NotNull(hold);
            // Cancelling the task (another chunk failing the job) waits for the hold.
            var cancel = env.ExecuteAsync($"update sluice.tasks set status = status where id = {task.Id}");
            await env.UntilASessionWaitsOnALockAsync(TimeSpan.FromSeconds(30));
            Assert.False(cancel.IsCompleted);
            await hold!.DisposeAsync();
            await cancel.WaitAsync(TimeSpan.FromSeconds(30));
        }

        await env.ExecuteAsync($"update sluice.tasks set lease_expires_at = now() - interval '1 second' where id = {task.Id}");
        for (var i = 0; i < 2; i++)
            Assert.Null(await env.ControlPlane.Tasks.HoldLeaseAsync(task, TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'"));
    }

    [Fact]
    public async Task A_task_scheduled_for_later_is_not_claimed_before_its_time()
    {
        await using var env = await TestEnvironment.CreateAsync();
        await NewJobAsync(env);
        var task = (await env.ControlPlane.Tasks.ClaimAsync("w", TimeSpan.FromSeconds(30), null, CancellationToken.None))!;
        await env.ControlPlane.Tasks.CommitAsync(task, new StageCommit
        {
            TaskStatus = "ready", StageStatus = "retrying", RetryAfter = TimeSpan.FromHours(1), ErrorCode = "io.error", ErrorMessage = "x",
        }, CancellationToken.None);

        Assert.Null(await env.ControlPlane.Tasks.ClaimAsync("w", TimeSpan.FromSeconds(30), null, CancellationToken.None));
        Assert.Equal("retrying", await env.ScalarAsync<string>("select status from sluice.job_stages where name = 'download'"));
    }

    [Fact]
    public async Task A_waiter_learns_that_its_job_ended_when_the_outcome_commits_not_at_its_next_poll()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var job = await NewJobAsync(env);
        var firstCheck = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();   // ends the wait should an assertion fail first
        // A poll far beyond the test's own limit: only the job's end notification can end this wait in time.
        var wait = JobWaiter.WaitAsync(env.ControlPlane, [job], TimeSpan.FromMinutes(10), stop.Token, n => firstCheck.TrySetResult(n));
        Assert.Equal(0, await firstCheck.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(wait.IsCompleted);

        var task = (await env.ControlPlane.Tasks.ClaimAsync("w", TimeSpan.FromSeconds(30), null, CancellationToken.None))!;
        await env.ControlPlane.Tasks.CommitAsync(task, new StageCommit { TaskStatus = "done", StageStatus = "succeeded", JobStatus = "succeeded" },
            CancellationToken.None);

        await wait.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("succeeded", await env.ScalarAsync<string>("select status from sluice.jobs where id = $1", job));
    }

    [Fact]
    public async Task Migrations_applied_by_many_processes_at_once_apply_once()
    {
        var cs = await PostgresFixture.CreateDatabaseAsync();
        var opens = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => ControlPlane.OpenAsync(cs, CancellationToken.None)));
        foreach (var cp in opens) await cp.DisposeAsync();

        await using var check = await ControlPlane.OpenAsync(cs, CancellationToken.None);
        await using var cmd = check.DataSource.CreateCommand("select count(*) from sluice.schema_migrations");
        var migrations = typeof(ControlPlane).Assembly.GetManifestResourceNames().Count(n => n.StartsWith("Sluice.Migrations.", StringComparison.Ordinal));
        Assert.Equal((long)migrations, (long)(await cmd.ExecuteScalarAsync())!);
    }
}
