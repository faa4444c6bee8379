using System.Text;

namespace Sluice.Storage;

/// <summary>
/// Opens a file to be written from its first byte, creating it anew (an earlier one is removed first) instead of
/// truncating it. On Linux, .NET opens <see cref="FileMode.Create"/> without O_TRUNC and truncates the file once it
/// is locked; ext4 marks a file truncated to zero for writeback at its close (its guard for programs that rewrite a
/// file in place), so every such file was sent to the disk as it closed: a few blocking writes for each of the five
/// or six files of every job, which a burst of small files paid on every one (measured: 2.6 % of all CPU time in a
/// storm of 1,000 files, in close). A file created new is written back by the kernel in its own time, like any other.
/// </summary>
public static class FreshFile
{
    /// <summary>Creates the file new; only when one is already there (a stage run again) is it removed first: a first
    /// run costs one open, not a failed unlink before it.</summary>
    public static FileStream Open(string path, FileAccess access = FileAccess.Write, int bufferSize = 1 << 16, FileOptions options = FileOptions.None)
    {
        try
        {
            return new FileStream(path, FileMode.CreateNew, access, FileShare.None, bufferSize, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(path);
            return new FileStream(path, FileMode.CreateNew, access, FileShare.None, bufferSize, options);
        }
    }

    /// <summary>Writes a short text (a manifest, a DDL script, a report) with one synchronous write: for a few hundred
    /// bytes, handing the write to the thread pool costs more than writing it.</summary>
    public static void WriteAllText(string path, string text)
    {
        using var stream = Open(path, bufferSize: 0);
        stream.Write(Encoding.UTF8.GetBytes(text));
    }
}
