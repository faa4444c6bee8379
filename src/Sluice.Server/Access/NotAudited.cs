namespace Sluice.Server.Access;

/// <summary>Endpoint metadata for a POST that changes nothing (validation), so it stays out of the audit log.</summary>
internal sealed class NotAudited
{
    public static readonly NotAudited Instance = new();
}
