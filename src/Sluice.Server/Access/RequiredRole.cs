using Sluice.Control;

namespace Sluice.Server.Access;

/// <summary>Endpoint metadata: the least role that may call it. The most specific one (endpoint over group) applies.</summary>
internal sealed record RequiredRole(ApiKeys.Role Role);
