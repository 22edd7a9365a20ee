using System.Globalization;

namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// Where a fleet run's CPU went, from /proc: each fleet host by name, the broker's and the database's
/// processes, this process (producer and receiver), and the whole machine's busy time. Read at the
/// start and the end of the measured window; the difference over the deliveries made is the cost of
/// one delivery, a figure much steadier from run to run than throughput on a machine this busy.
/// Counts every RabbitMQ and PostgreSQL process on the machine: run the benchmark alone.
/// </summary>
public sealed class CpuTime
{
    // /proc reports process times in USER_HZ, 100 on every Linux build that matters.
    private const double TicksPerSecond = 100;

    private readonly Dictionary<int, (string Group, long Ticks)> _processes;
    private readonly long _machineBusyTicks;

    private CpuTime(Dictionary<int, (string Group, long Ticks)> processes, long machineBusyTicks)
    {
        _processes = processes;
        _machineBusyTicks = machineBusyTicks;
    }

    /// <summary>A reading with no fleet hosts: RabbitMQ, PostgreSQL, this process and the machine.</summary>
    public static CpuTime Read() => Read(new Dictionary<int, string>());

    public static CpuTime Read(IReadOnlyDictionary<int, string> hosts)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        var processes = new Dictionary<int, (string, long)>();
        if (!OperatingSystem.IsLinux())
        {
            return new CpuTime(processes, 0);
        }

        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                var command = stat[(open + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                var group = hosts.TryGetValue(pid, out var host) ? host
                    : pid == Environment.ProcessId ? "bench"
                    : command is "beam.smp" or "erl_child_setup" or "inet_gethost" or "epmd" ? "rabbitmq"
                    : command == "postgres" ? "postgres"
                    : null;
                if (group is not null)
                {
                    // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after comm.
                    processes[pid] = (group, long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
                // exited meanwhile
            }
        }

        return new CpuTime(processes, MachineBusyTicks());
    }

    /// <summary>CPU seconds per group spent between <paramref name="start"/> and this reading, and "machine" for all of it.</summary>
    public IReadOnlyDictionary<string, double> SecondsSince(CpuTime start)
    {
        ArgumentNullException.ThrowIfNull(start);
        var seconds = _processes
            .GroupBy(p => p.Value.Group)
            .ToDictionary(g => g.Key, g => g.Sum(p => p.Value.Ticks - (start._processes.TryGetValue(p.Key, out var before) ? before.Ticks : 0)) / TicksPerSecond);
        seconds["machine"] = (_machineBusyTicks - start._machineBusyTicks) / TicksPerSecond;
        return seconds;
    }

    /// <summary>CPU milliseconds per group, and "machine", spent between <paramref name="start"/> and this reading for each of <paramref name="count"/> units of work.</summary>
    public IReadOnlyDictionary<string, double> MsPerUnitSince(CpuTime start, int count) =>
        SecondsSince(start).ToDictionary(c => c.Key, c => count > 0 ? c.Value * 1000 / count : 0);

    private static long MachineBusyTicks()
    {
        // "cpu  user nice system idle iowait irq softirq steal ...": busy is everything but idle and iowait.
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        return fields.Take(8).Sum() - fields[3] - fields[4];
    }
}
