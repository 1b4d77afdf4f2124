using System.Diagnostics;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Runtime;

namespace ApimConsole.Benchmarks;

/// <summary>
/// What a process's managed heap holds, by type: a heap dump taken by a child process (the runtime's diagnostics
/// port, as dotnet-dump does) and read with ClrMD. Two censuses subtracted say what N more circuits (or clients)
/// added, type by type; only objects reachable from a root are counted, so garbage not yet collected is not.
/// </summary>
internal static class HeapCensus
{
    public const string DumpCommand = "heap-dump";

    /// <summary>Bytes and objects per type name, reachable objects only.</summary>
    public sealed record Census(IReadOnlyDictionary<string, (long Bytes, long Count)> Types, long TotalBytes);

    /// <summary>The child: <c>heap-dump --pid P --out FILE</c>.</summary>
    public static int RunDump(string[] args)
    {
        var pid = int.Parse(args.SkipWhile(a => a != "--pid").Skip(1).First(), CultureInfo.InvariantCulture);
        var file = args.SkipWhile(a => a != "--out").Skip(1).First();
        new DiagnosticsClient(pid).WriteDump(DumpType.WithHeap, file);
        return 0;
    }

    /// <summary>Dumps this process (from a child) and counts what is reachable.</summary>
    public static Census TakeOfSelf(string label)
    {
        var file = Path.Combine(Path.GetTempPath(), $"apimconsole-heap-{Environment.ProcessId}-{label}.dmp");
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(typeof(HeapCensus).Assembly.Location);
        foreach (var a in new[] { DumpCommand, "--pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "--out", file })
            start.ArgumentList.Add(a);
        using (var child = Process.Start(start)!)
        {
            child.WaitForExit();
            if (child.ExitCode != 0)
                throw new InvalidOperationException($"heap dump failed ({child.ExitCode})");
        }
        try
        {
            return Read(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static Census Read(string file)
    {
        using var target = DataTarget.LoadDump(file);
        // The dump is of this very runtime, whose DAC sits beside it (ClrMD cannot download one here).
        var dac = Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "libmscordaccore.so");
        using var runtime = File.Exists(dac) ? target.ClrVersions[0].CreateRuntime(dac, ignoreMismatch: true) : target.ClrVersions[0].CreateRuntime();
        var heap = runtime.Heap;
        var seen = new HashSet<ulong>();
        var stack = new Stack<ulong>();
        var types = new Dictionary<string, (long Bytes, long Count)>(StringComparer.Ordinal);
        long total = 0;
        foreach (var root in heap.EnumerateRoots())
        {
            if (root.Object.Address != 0)
                stack.Push(root.Object.Address);
        }
        while (stack.Count > 0)
        {
            var address = stack.Pop();
            if (!seen.Add(address))
                continue;
            var obj = heap.GetObject(address);
            if (!obj.IsValid || obj.Type is null)
                continue;
            var size = (long)obj.Size;
            total += size;
            var name = obj.Type.Name ?? "?";
            types[name] = types.TryGetValue(name, out var t) ? (t.Bytes + size, t.Count + 1) : (size, 1);
            foreach (var reference in obj.EnumerateReferenceAddresses(carefully: true))
            {
                if (reference != 0 && !seen.Contains(reference))
                    stack.Push(reference);
            }
        }
        return new Census(types, total);
    }

    /// <summary>Prints the types that grew most from <paramref name="before"/> to <paramref name="after"/>, per unit.</summary>
    public static void PrintGrowth(Census before, Census after, int units, string unitName, int top = 30)
    {
        Console.WriteLine($"heap census: reachable {before.TotalBytes / 1024.0 / 1024.0:0.0} -> {after.TotalBytes / 1024.0 / 1024.0:0.0} MB, " +
                          $"{(after.TotalBytes - before.TotalBytes) / 1024.0 / units:0.0} KB per {unitName}");
        var rows = after.Types.Keys.Union(before.Types.Keys)
            .Select(name =>
            {
                var a = after.Types.GetValueOrDefault(name);
                var b = before.Types.GetValueOrDefault(name);
                return (Name: name, Bytes: a.Bytes - b.Bytes, Count: a.Count - b.Count);
            })
            .OrderByDescending(r => r.Bytes)
            .Take(top);
        Console.WriteLine($"  {"bytes per " + unitName,18} {"objects per " + unitName,20}  type");
        foreach (var row in rows)
            Console.WriteLine($"  {row.Bytes / (double)units,18:0} {row.Count / (double)units,20:0.0}  {row.Name}");
    }
}
