using Npgsql;

namespace Sluice.Control;

/// <summary>
/// Group commit for arrivals: jobs recorded at the same moment (a burst of files, received side by side) go to the
/// database together, one <c>create_job.sql</c> statement each, in one transaction. Their commit waits for the disk
/// once for all of them, and PostgreSQL lets only one commit that notifies (every new task notifies the workers) run at
/// a time, its wait for the disk included: one such commit for the jobs of a burst instead of one per file.
/// No creation waits for another: the first sends at once, and those that come meanwhile go in the next batch.
/// </summary>
internal sealed class JobCreations(NpgsqlDataSource db)
{
    /// <summary>At most this many jobs in one transaction.</summary>
    internal const int MaxBatch = 64;

    private readonly Lock _gate = new();
    private List<Pending> _queue = [];
    private bool _sending;

    private sealed record Pending(object[] Values, TaskCompletionSource<(Guid Id, bool Created)?> Done);

    /// <summary>Records one job (the values of <c>create_job.sql</c>'s parameters) with whichever others are recorded at
    /// the same moment; null when the statement found the same content under the same key recorded by a transaction
    /// that committed after it began (the caller then reads that job).</summary>
    public async Task<(Guid Id, bool Created)?> CreateAsync(object[] values, CancellationToken ct)
    {
        var mine = new Pending(values, new(TaskCreationOptions.RunContinuationsAsynchronously));
        bool lead;
        lock (_gate)
        {
            _queue.Add(mine);
            lead = !_sending;
            _sending = true;
        }
        if (lead) _ = Task.Run(SendAllAsync, CancellationToken.None);
        return await mine.Done.Task.WaitAsync(ct);
    }

    private async Task SendAllAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                if (_queue.Count == 0) { _sending = false; return; }
                batch = _queue.Count <= MaxBatch ? _queue : _queue.GetRange(0, MaxBatch);
                _queue = _queue.Count <= MaxBatch ? [] : _queue.GetRange(MaxBatch, _queue.Count - MaxBatch);
            }
            try
            {
                await SendAsync(batch);
            }
            catch (Exception) when (batch.Count > 1)
            {
                // One statement failed the whole transaction: each goes again on its own, so an error stays its arrival's.
                foreach (var one in batch)
                {
                    try { await SendAsync([one]); }
                    catch (Exception e) { one.Done.TrySetException(e); }
                }
            }
            catch (Exception e)
            {
                batch[0].Done.TrySetException(e);
            }
        }
    }

    /// <summary>The <c>create_job.sql</c> statement for one job's parameter values.</summary>
    internal static NpgsqlBatchCommand Command(object[] values)
    {
        var create = new NpgsqlBatchCommand(SqlQueries.Get("create_job"));
        foreach (var v in values) create.Parameters.Add(new NpgsqlParameter { Value = v });
        return create;
    }

    /// <summary>One round trip, one transaction: the results are handed out only once it has committed.</summary>
    private async Task SendAsync(List<Pending> batch)
    {
        await using var send = db.CreateBatch();
        foreach (var p in batch) send.BatchCommands.Add(Command(p.Values));
        var results = new (Guid, bool)?[batch.Count];
        await using (var r = await send.ExecuteReaderAsync(CancellationToken.None))
        {
            for (var i = 0; i < batch.Count; i++)
            {
                if (i > 0) await r.NextResultAsync();
                if (await r.ReadAsync()) results[i] = (r.GetGuid(0), r.GetBoolean(1));
            }
        }
        for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
    }
}
