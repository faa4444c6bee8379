using System.Runtime.InteropServices;

namespace Sluice.Trigger;

/// <summary>
/// On Linux, asks the kernel whether any process still has a file open for writing: a read lease
/// (fcntl F_SETLEASE F_RDLCK) is granted only when no writer holds the file open. Where leases are not supported
/// or not permitted (other systems, network file systems, files of another user) the answer is "unknown" and the
/// settle interval alone decides.
/// </summary>
internal static partial class OpenWriters
{
    private const int FSetLease = 1024;
    private const int FRdLck = 0;
    private const int FUnlck = 2;
    private const int EAgain = 11;

    public enum Answer { NoWriters, Writing, Unknown }

    public static Answer Check(string path)
    {
        if (!OperatingSystem.IsLinux()) return Answer.Unknown;
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            var fd = (int)fs.SafeFileHandle.DangerousGetHandle();
            if (Fcntl(fd, FSetLease, FRdLck) == 0)
            {
                Fcntl(fd, FSetLease, FUnlck);
                return Answer.NoWriters;
            }
            return Marshal.GetLastPInvokeError() == EAgain ? Answer.Writing : Answer.Unknown;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            return Answer.Unknown;
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd, int arg);
}
