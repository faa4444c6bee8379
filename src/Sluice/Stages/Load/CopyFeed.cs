using System.Threading.Channels;
using Sluice.Storage;
using Sluice.Workflows;

namespace Sluice.Stages.Load;

/// <summary>
/// A write-only stream that hands what is written to a running binary COPY through a short queue: the writer (the
/// transform, parsing on its own thread) goes on with the next rows while the server stores the last ones, and waits
/// only when the queue is full, so memory stays at a few buffers whatever the file size. The buffers are
/// <see cref="Blocks"/>, so loads one after another reuse the same few megabytes (buffers of 1 MiB live on the
/// large-object heap, collected rarely: fresh ones for every load grew a serve's peak RSS by 20 MiB over six 2M-row loads).
/// </summary>
internal sealed class CopyFeed : WriteOnlyStream
{
    private const int QueuedBuffers = 2;

    private readonly Channel<(byte[] Buffer, int Length)> _queue =
        Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(QueuedBuffers) { SingleReader = true, SingleWriter = true });
    private readonly Task _pump;
    /// <summary>The stage's token, and cancelled on abandon too (the stage's own may not be then): stops the pump's
    /// write and a writer waiting for room in the queue.</summary>
    private readonly CancellationTokenSource _stop;

    /// <param name="copy">The COPY's stream (from <c>BeginRawBinaryCopyAsync</c>); not disposed here.</param>
    /// <param name="sourceKey">For the <c>load.copying</c> fault point.</param>
    public CopyFeed(Stream copy, string sourceKey, CancellationToken ct)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _pump = Task.Run(() => PumpAsync(copy, sourceKey, _stop.Token), ct);
    }

    private async Task PumpAsync(Stream copy, string sourceKey, CancellationToken ct)
    {
        var first = true;
        try
        {
            await foreach (var (buffer, length) in _queue.Reader.ReadAllAsync(ct))
            {
                try { await copy.WriteAsync(buffer.AsMemory(0, length), ct); }
                finally { GiveBack(buffer); }
                if (first) FaultInjection.At("load.copying", sourceKey);
                first = false;
            }
        }
        catch (Exception e)
        {
            // The writer learns of it at its next write instead of waiting on a queue nobody reads.
            _queue.Writer.TryComplete(e);
            while (_queue.Reader.TryRead(out var left)) GiveBack(left.Buffer);
            throw;
        }
    }

    public override void Write(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        var copy = Take(bytes.Length);
        bytes.CopyTo(copy);
        try
        {
            if (!_queue.Writer.TryWrite((copy, bytes.Length)))
                _queue.Writer.WriteAsync((copy, bytes.Length), _stop.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
            _pump.GetAwaiter().GetResult();   // throws what stopped the COPY
            throw;
        }
    }

    private static byte[] Take(int length) => Blocks.Pool.Rent(length);

    private static void GiveBack(byte[] buffer) => Blocks.Pool.Return(buffer);

    /// <summary>Waits until every byte written has been handed to the COPY (the COPY itself is ended by its owner).</summary>
    public async Task FinishAsync()
    {
        _queue.Writer.TryComplete();
        await _pump;
    }

    /// <summary>
    /// Stops feeding (the COPY is being abandoned): the queue is closed and the pump's write cancelled — which breaks a
    /// connection whose server has stopped reading — and the pump is waited for, so its owner may then use the
    /// connection again. Its error, if any, is not news.
    /// </summary>
    public async Task AbandonAsync()
    {
        _queue.Writer.TryComplete(new OperationCanceledException("the streamed load was abandoned"));
        await _stop.CancelAsync();
        try { await _pump.WaitAsync(TimeSpan.FromMinutes(1)); } catch (Exception) { }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _stop.Dispose();
        base.Dispose(disposing);
    }

    public override void Flush() { }
}
