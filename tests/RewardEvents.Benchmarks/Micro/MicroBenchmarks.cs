using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace RewardEvents.Benchmarks.Micro;

/// <summary>Runs the micro-benchmarks short and in process (no generated child projects to build).</summary>
public static class MicroBenchmarks
{
    public static IReadOnlyList<MicroResult> Run(string artifacts)
    {
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.DisableLogFile);
        var summaries = BenchmarkRunner.Run([typeof(SigningBenchmarks), typeof(PayloadSerializationBenchmarks), typeof(MessageSerializationBenchmarks), typeof(SubscriptionMatchingBenchmarks)], config);
        return summaries.SelectMany(ResultsOf).ToList();
    }

    private static IEnumerable<MicroResult> ResultsOf(Summary summary) =>
        summary.Reports.Select(report => new MicroResult(
            $"{report.BenchmarkCase.Descriptor.Type.Name}.{report.BenchmarkCase.Descriptor.WorkloadMethod.Name}"
                + (report.BenchmarkCase.HasParameters ? $"({report.BenchmarkCase.Parameters.DisplayInfo})" : ""),
            report.ResultStatistics?.Mean ?? double.NaN,
            report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0));
}
