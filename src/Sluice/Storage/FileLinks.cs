using System.Runtime.InteropServices;

namespace Sluice.Storage;

/// <summary>
/// Hard links let publish put a large artifact into the output bucket without copying its bytes, when the
/// workspace and the buckets share a file system. Falls back to a copy (by the caller) otherwise.
/// </summary>
public static partial class FileLinks
{
    /// <summary>Makes <paramref name="newPath"/> a hard link to <paramref name="existing"/>; false when the system cannot.</summary>
    public static bool TryHardLink(string existing, string newPath)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return false;
        try { return Link(existing, newPath) == 0; }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string newPath);
}
