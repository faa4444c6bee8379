using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Sluice.Server.Api;

/// <summary>
/// Gives the answers Kestrel makes by itself the API's JSON error body: a request it cannot parse (a malformed request
/// line or header, a missing or repeated Host), one over its limits (a request target too long, 414; headers too large
/// or too many, 431), a version it does not speak (505), headers that arrive too slowly (408).
/// </summary>
/// <remarks>
/// Kestrel refuses those before any middleware runs and writes only a status line with <c>Content-Length: 0</c> and
/// <c>Connection: close</c>; it offers no hook for the body (aspnet/KestrelHttpServer#2947). So this sits between
/// Kestrel and the socket, as a connection middleware, and replaces that one write, which is the last of its
/// connection, with the same status, headers and a JSON body. Every other write passes through untouched, and so does
/// everything written while a request is in the application (<see cref="MarkAnswering"/>): its answers are its own.
/// </remarks>
internal static class KestrelRejections
{
    /// <summary>The connection middleware, for <c>ListenOptions.Use</c>.</summary>
    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware(KestrelServerLimits limits) => next => async connection =>
    {
        var transport = connection.Transport;
        var output = new RejectionWriter(transport.Output, limits);
        connection.Features.Set(output);
        connection.Transport = new Duplex(transport.Input, output);
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = transport;
        }
    };

    /// <summary>
    /// Marks the request in the application until its answer is complete (HTTP middleware; the connection's features
    /// are the request's too): nothing written meanwhile is taken for a rejection, even a HEAD answer without a body.
    /// </summary>
    public static Task MarkAnswering(HttpContext ctx, Func<Task> next)
    {
        if (ctx.Features.Get<RejectionWriter>() is not { } output) return next();
        Interlocked.Increment(ref output.Answering);
        ctx.Response.OnCompleted(() =>
        {
            Interlocked.Decrement(ref output.Answering);
            return Task.CompletedTask;
        });
        return next();
    }

    /// <summary>The code and message for a status Kestrel answered by itself, naming the limit that was passed.</summary>
    internal static (string Code, string Message) Describe(int status, KestrelServerLimits limits) => status switch
    {
        400 => ("request.malformed", "the request is not valid HTTP/1.1: its request line or a header is malformed, its Host header " +
                                     "is missing, repeated or not the target's host, or its Content-Length is not a number. Check the client, or the proxy in front of the server."),
        408 => ("request.timeout", "the request's headers did not arrive in time; send the whole request at once."),
        414 => ("request.target_too_long", $"the request target (path and query) is too long: the request line may be at most " +
                                           $"{limits.MaxRequestLineSize} bytes. Shorten it, e.g. send long values in a request body."),
        431 => ("request.headers_too_large", $"the request's headers are too large: at most {limits.MaxRequestHeaderCount} headers, " +
                                             $"{limits.MaxRequestHeadersTotalSize} bytes in all. Send fewer or shorter headers (and cookies)."),
        505 => ("request.http_version", "the server speaks HTTP/1.1 (and HTTP/1.0); send the request in HTTP/1.1."),
        _ => ApiError.Generic(status),
    };

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>The socket's writer, replacing Kestrel's own refusal by one with a body.</summary>
    private sealed class RejectionWriter(PipeWriter inner, KestrelServerLimits limits) : PipeWriter
    {
        private static readonly JsonSerializerOptions Json = new()
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };

        /// <summary>Requests of this connection in the application, their answers not yet complete.</summary>
        public int Answering;

        private Memory<byte> _given;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _given = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => (_given = inner.GetMemory(sizeHint)).Span;

        public override void Advance(int bytes)
        {
            if (bytes > 0 && bytes <= _given.Length && Volatile.Read(ref Answering) == 0 && Replacement(_given.Span[..bytes]) is { } answer)
            {
                // Nothing of the refusal is advanced: the answer is written in its place.
                inner.Advance(0);
                inner.Write(answer);
                return;
            }
            inner.Advance(bytes);
        }

        /// <summary>Kestrel's refusal: one write of a status line 4xx or 5xx and headers that end it there, with no body
        /// and the connection closing. The answer: the same status line and headers but the length, and the JSON body.</summary>
        private byte[]? Replacement(ReadOnlySpan<byte> written)
        {
            if (written.Length is < 13 or > 1024 || !written.StartsWith("HTTP/1."u8) || written[8] != ' ' ||
                written[9] is not ((byte)'4' or (byte)'5') || !written.EndsWith("\r\n\r\n"u8) ||
                written.IndexOf("\r\nConnection: close\r\n"u8) < 0)
            {
                return null;
            }
            var length = written.IndexOf("\r\nContent-Length: 0\r\n"u8);
            if (length < 0) return null;
            var status = (written[9] - '0') * 100 + (written[10] - '0') * 10 + (written[11] - '0');
            var (code, message) = Describe(status, limits);
            var body = JsonSerializer.SerializeToUtf8Bytes(new { error = new { code, message } }, Json);
            var head = Encoding.ASCII.GetString(written[..(length + 2)]);
            var rest = Encoding.ASCII.GetString(written[(length + "\r\nContent-Length: 0\r\n".Length)..]);
            return [.. Encoding.ASCII.GetBytes($"{head}Content-Type: application/json; charset=utf-8\r\nContent-Length: {body.Length}\r\n{rest}"), .. body];
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;
    }
}
