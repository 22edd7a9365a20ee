using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing.Internal;

namespace RewardEvents.IntegrationTests.Deployment;

/// <summary>
/// The deployment files (k8s overlays, docker-compose.yml, Dockerfiles) pass deploy/validate: every
/// overlay renders and validates against the Kubernetes and KEDA schemas, the project rules hold,
/// the compose file matches the Compose schema and the Dockerfiles lint clean.
/// </summary>
public sealed class DeploymentFilesTests
{
    [Fact]
    public async Task Every_overlay_the_compose_file_and_the_Dockerfiles_pass_the_deploy_checks()
    {
        Assert.SkipUnless(ExecutablePath.Exists("node") && ExecutablePath.Exists("npm"),
            "deploy/validate needs Node.js and npm on PATH; neither or only one is there.");
        var root = FleetProcess.RepoRoot();
        var project = Path.Combine(root, "deploy", "validate");

        if (!Directory.Exists(Path.Combine(project, "node_modules")))
        {
            var install = await ProcessRunner.RunAsync(
                "npm", ["ci", "--prefix", project, "--no-audit", "--no-fund", "--loglevel=error"], TimeSpan.FromMinutes(5));
            Assert.True(install.ExitCode == 0, $"npm ci in {project} failed with exit code {install.ExitCode}:\n{install.Output}");
        }

        var run = await ProcessRunner.RunAsync(
            "node", [Path.Combine(project, "validate.js"), root], TimeSpan.FromMinutes(3));

        Assert.True(run.ExitCode == 0, $"deploy/validate exited with {run.ExitCode}:\n{run.Output}");
        Assert.Contains("deploy checks: all passed", run.Output, StringComparison.Ordinal);
    }
}
