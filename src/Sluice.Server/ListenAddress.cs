using System.Globalization;
using System.Net;
using Sluice.Errors;

namespace Sluice.Server;

/// <summary>Where the HTTP server listens: <c>HOST:PORT</c> with an IP address (or <c>localhost</c>); port 0 picks a free port.</summary>
public sealed record ListenAddress(IPAddress Address, int Port)
{
    /// <summary>The default, reachable from this machine only.</summary>
    public const string Default = "127.0.0.1:5080";

    /// <summary>True for 127.0.0.0/8 and ::1: only this machine can connect.</summary>
    public bool IsLoopback => IPAddress.IsLoopback(Address);

    /// <summary>Parses <c>127.0.0.1:5080</c>, <c>[::1]:5080</c>, <c>0.0.0.0:8080</c> or <c>localhost:5080</c>.</summary>
    public static ListenAddress Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            throw Invalid(text);
        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        var address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var ip) ? ip
            : throw Invalid(text);
        return new ListenAddress(address, port);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";

    private static SluiceException Invalid(string text) =>
        new("server.listen", $"listen address '{text}' is not HOST:PORT with an IP address, e.g. 127.0.0.1:5080, [::1]:5080 or 0.0.0.0:8080.");
}
