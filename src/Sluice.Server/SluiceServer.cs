using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Hosting;
using Sluice.Observability;
using Sluice.Server.Access;
using Sluice.Server.Api;
using Sluice.Server.Dashboard;
using Sluice.Server.Events;
using Sluice.Server.Metrics;

namespace Sluice.Server;

/// <summary>
/// The HTTP side of <c>sluice serve</c>: the API under <c>/api/v1</c>, server-sent events, <c>/healthz</c>,
/// <c>/metrics</c> and the dashboard, on Kestrel, in the same process as the trigger and the workers of a
/// <see cref="SluiceHost"/>.
/// </summary>
public sealed class SluiceServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SluiceServer(WebApplication app, Uri address, bool openLocally)
    {
        _app = app;
        Address = address;
        OpenLocally = openLocally;
    }

    /// <summary>The address actually bound (the real port when 0 was asked for), e.g. <c>http://127.0.0.1:5080/</c>.</summary>
    public Uri Address { get; }

    /// <summary>
    /// True when no API key existed at start: callers on loopback are then the local admin without a key. Creating a key
    /// ends this at once (keys are checked on every request).
    /// </summary>
    public bool OpenLocally { get; }

    /// <summary>
    /// Starts listening. Refuses (<c>server.no_keys</c>) to listen beyond loopback while no API key exists, because the
    /// API would then be open to the network; fails with <c>server.address_in_use</c> when another process holds the address.
    /// </summary>
    public static async Task<SluiceServer> StartAsync(SluiceHost host, SluiceServerOptions options, CancellationToken ct)
    {
        var keys = new ApiKeys(host.ControlPlane.DataSource);
        var anyKeys = await keys.AnyAsync(ct);
        if (!anyKeys && !options.Listen.IsLoopback)
            throw new SluiceException("server.no_keys",
                $"refusing to listen on {options.Listen}: no API key exists, so the API would be open to the network. " +
                "Create one first (./sluice keys create --name NAME --role admin), or listen on loopback (127.0.0.1:PORT).");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SluiceServer).Assembly.GetName().Name, ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(options.Listen.Address, options.Listen.Port, listen => listen.Use(KestrelRejections.Middleware(k.Limits)));
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxUploadBytes;
        });
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            // Text as written (row's, café), not \u0027 and \u00E9: answers are JSON, never embedded in HTML.
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
        builder.Services.AddSingleton(host).AddSingleton(host.ControlPlane).AddSingleton(host.Log).AddSingleton(options).AddSingleton(keys)
            .AddSingleton(new AuditLog(host.ControlPlane.DataSource)).AddSingleton<HttpRequestCounter>();

        var app = builder.Build();
        Configure(app, host.Log);
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            await app.DisposeAsync();
            throw new SluiceException("server.address_in_use",
                $"cannot listen on {options.Listen}: the address is in use, perhaps by another sluice serve. Stop that one, " +
                "or give this one another address with --listen HOST:PORT or SLUICE_LISTEN.");
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SluiceServer(app, new Uri(bound.EndsWith('/') ? bound : bound + "/"), !anyKeys);
    }

    private static void Configure(WebApplication app, JobLog log)
    {
        var requests = app.Services.GetRequiredService<HttpRequestCounter>();
        // First, so that nothing an answer of the application writes is taken for one of Kestrel's own refusals.
        app.Use(KestrelRejections.MarkAnswering);
        // Every error answer without a body (routing's 404 and 405, a failed binding) gets the JSON error shape,
        // on every path: the dashboard's own answers are JSON too.
        app.UseStatusCodePages(async context =>
        {
            var ctx = context.HttpContext;
            var (code, message) = ApiError.Generic(ctx.Response.StatusCode);
            await ApiError.WriteAsync(ctx, ctx.Response.StatusCode, code, message);
        });
        app.Use(async (ctx, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            ctx.Response.Headers.XContentTypeOptions = "nosniff";
            try { await next(ctx); }
            finally
            {
                requests.Count(ctx);
                // Method, path and status only: never headers (the key) or bodies.
                log.Write(Observability.LogLevel.Debug, $"http {ctx.Request.Method} {ctx.Request.Path} {ctx.Response.StatusCode} " +
                                          $"{Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0}ms by {ctx.FindCaller()?.Name ?? "-"} from {ctx.Source()}");
            }
        });
        app.UseRouting();
        app.UseMiddleware<AuditTrail>();
        app.UseMiddleware<ErrorTranslation>();
        app.UseMiddleware<QueryTextGuard>();
        app.UseMiddleware<AccessControl>();

        app.MapGet("/healthz", HealthAsync);
        app.MapGet("/metrics", MetricsEndpoint.WriteAsync).WithMetadata(new RequiredRole(ApiKeys.Role.Viewer));
        app.MapGet("/api/v1/openapi.json", OpenApiDocument.Serve);
        var api = app.MapGroup("/api/v1").WithMetadata(new RequiredRole(ApiKeys.Role.Viewer));
        AccessApi.Map(api);
        JobsApi.Map(api);
        UploadApi.Map(api);
        PipelinesApi.Map(api);
        RetentionApi.Map(api);
        StatsApi.Map(api);
        EventStream.Map(api);
        DashboardFiles.Map(app);
    }

    private static async Task<IResult> HealthAsync(ControlPlane cp, CancellationToken ct)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(3));
            await using var cmd = cp.DataSource.CreateCommand("select 1");
            await cmd.ExecuteScalarAsync(deadline.Token);
            return Results.Ok(new { status = "ok", control_plane = "reachable" });
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return Results.Json(new { status = "unavailable", control_plane = "unreachable" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>Every mapped route as (method, pattern), for checking that the OpenAPI description covers them.</summary>
    internal IReadOnlyList<(string Method, string Pattern)> Routes() =>
        _app.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (m, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .ToList();

    /// <summary>Stops listening; open event streams end so that subscribers reconnect elsewhere or later.</summary>
    public async Task StopAsync(CancellationToken ct = default) => await _app.StopAsync(ct);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
