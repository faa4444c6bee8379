using Npgsql;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

/// <summary>A load that waits on a lock another session holds on its table says who holds it.</summary>
public sealed class LockWaitTests
{
    [Fact]
    public async Task A_load_waiting_on_a_lock_logs_the_session_holding_it_and_goes_on_once_it_is_released()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        env.StartHost();
        env.DropPayments("payments/first.csv", 10, seed: 1);
        Assert.Equal("succeeded", Assert.Single(await env.WaitForJobsAsync(1)).Status);
        await using var locker = new NpgsqlConnection(env.ConnectionString);
        await locker.OpenAsync();
        var lockerPid = locker.ProcessID;
        await using (var cmd = new NpgsqlCommand("begin; lock table public.payments in access exclusive mode", locker)) await cmd.ExecuteNonQueryAsync();

        env.DropPayments("payments/second.csv", 10, seed: 2);
        await env.UntilAnyAsync("""select count(*) from sluice.job_logs where message like 'waiting for a lock on "public"."payments", held by session pid ' || $1 || ' %'""",
            TimeSpan.FromSeconds(60), lockerPid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using (var cmd = new NpgsqlCommand("commit", locker)) await cmd.ExecuteNonQueryAsync();
        var jobs = await env.WaitForJobsAsync(2);

        Assert.All(jobs, j => Assert.Equal("succeeded", j.Status));
        Assert.Equal(20L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        var logged = await env.ScalarAsync<string>("select message from sluice.job_logs where message like 'waiting for a lock%' limit 1");
        Assert.Contains("(user postgres, ", logged, StringComparison.Ordinal);
        Assert.Contains("select pg_terminate_backend(pid)", logged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_load_whose_lock_wait_ends_in_the_command_timeout_fails_naming_the_session_that_held_it()
    {
        await using var env = await TestEnvironment.CreateAsync();
        await using var warehouse = await TargetDatabase.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(mode: warehouse.Mode("append", ";Command Timeout=4"))
            .Replace("max_attempts: 3", "max_attempts: 1", StringComparison.Ordinal));
        await warehouse.ExecuteAsync("create table public.payments (transaction_id bigint, account_id int, client_id int, amount numeric(14,2), " +
                                     "currency char(3), booked_at timestamp, description text, status text, _sluice_job_id uuid)");
        await using var locker = new NpgsqlConnection(warehouse.ConnectionString);
        await locker.OpenAsync();
        await using (var cmd = new NpgsqlCommand("begin; lock table public.payments in access exclusive mode", locker)) await cmd.ExecuteNonQueryAsync();
        env.StartHost();

        env.DropPayments("payments/blocked.csv", 10, seed: 3);
        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal(("failed", "target.lock_wait"), (job.Status, job.Error?.Code));
        Assert.Contains($"held by session pid {locker.ProcessID} (user postgres, ", job.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("replayed from", job.Error.Message, StringComparison.Ordinal);
    }
}
