using Npgsql;
using Sluice.Control;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Control;

/// <summary>Jobs recorded at the same moment share one commit (group commit), and each still gets its own answer.</summary>
public sealed class JobCreationTests
{
    private static Task<(Guid Id, bool Created)> CreateAsync(TestEnvironment env, string key, string sha = "a") =>
        env.ControlPlane.Jobs.CreateAsync(new NewJob("p", "load", "inbox", key, 1, sha.PadRight(64, '0'),
            "name: p", "p.yaml", "test", "download", 3, TimeSpan.FromMilliseconds(100)), env.Settings.WorkspaceRoot, CancellationToken.None);

    [Fact]
    public async Task Jobs_arriving_together_are_committed_together_and_the_same_content_is_one_job()
    {
        await using var env = await TestEnvironment.CreateAsync();

        // 50 files at once, and the first of them twice more (the same content under the same key).
        var keys = Enumerable.Range(0, 50).Select(i => $"burst/{i}.csv").Concat(["burst/0.csv", "burst/0.csv"]).ToList();
        var made = await Task.WhenAll(keys.Select(k => CreateAsync(env, k)));

        Assert.Equal(50, made.Count(m => m.Created));
        Assert.Single(made.Where((_, i) => keys[i] == "burst/0.csv").Select(m => m.Id).Distinct());
        Assert.Equal(50L, await env.ScalarAsync<long>("select count(*) from sluice.jobs"));
        Assert.Equal(50L, await env.ScalarAsync<long>("select count(*) from sluice.tasks where status = 'ready'"));
        // A job's rows are written by the transaction that created it: far fewer transactions than jobs.
        var transactions = await env.ScalarAsync<long>("select count(distinct xmin::text) from sluice.jobs");
        Assert.InRange(transactions, 1, 10);
    }

    [Fact]
    public async Task An_arrival_the_database_refuses_fails_alone_and_the_others_arriving_with_it_are_recorded()
    {
        await using var env = await TestEnvironment.CreateAsync();

        // A NUL character cannot be stored in a PostgreSQL text value: the statement for that arrival fails, and
        // with it the transaction it shared with the others.
        var keys = Enumerable.Range(0, 20).Select(i => $"burst/{i}.csv").Append("burst/bad\0.csv").ToList();
        var made = keys.Select(k => CreateAsync(env, k)).ToList();

        var refused = await Assert.ThrowsAnyAsync<NpgsqlException>(() => made[^1]);
        Assert.Contains("0x00", refused.Message);
        foreach (var ok in made.Take(20)) Assert.True((await ok).Created);
        Assert.Equal(20L, await env.ScalarAsync<long>("select count(*) from sluice.jobs"));
    }
}
