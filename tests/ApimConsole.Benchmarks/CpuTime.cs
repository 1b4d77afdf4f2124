using System.Runtime.InteropServices;

namespace ApimConsole.Benchmarks;

/// <summary>
/// CPU seconds (user + system) from getrusage(2), to the microsecond: this process's own, and its waited-for children's
/// (a grep or ripgrep run). On a shared machine wall times swing with the others' load; the CPU a run costs swings far
/// less, so the two together say whether a ratio moved because of the code or the machine. Linux only.
/// </summary>
internal static class CpuTime
{
    private const int Self = 0;
    private const int Children = -1;

    /// <summary>This process's CPU seconds so far (every thread).</summary>
    public static double OfSelf() => Of(Self);

    /// <summary>The CPU seconds of this process's children that have ended and been waited for.</summary>
    public static double OfChildren() => Of(Children);

    private static double Of(int who)
    {
        // struct rusage on 64-bit Linux: ru_utime and ru_stime (two timevals of two longs each), then 14 longs.
        var usage = new long[18];
        if (getrusage(who, usage) != 0)
            throw new InvalidOperationException($"getrusage failed (errno {Marshal.GetLastPInvokeError()})");
        return usage[0] + (usage[1] / 1e6) + usage[2] + (usage[3] / 1e6);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, [Out] long[] usage);
}
