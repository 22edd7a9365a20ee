using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing.Internal;

namespace RewardEvents.IntegrationTests.Deployment;

/// <summary>
/// Where a Docker engine answers: the four images build from their Dockerfiles and the compose
/// stack starts healthy and serves the API's health endpoint. Reported skipped elsewhere.
/// </summary>
public sealed class ComposeStackTests
{
    private static readonly string[] Hosts = ["Api", "Router", "Worker", "Server"];
    private const string Version = "0.1.0";

    [Fact]
    public async Task The_images_build_and_the_compose_stack_starts_healthy_and_answers_on_the_api()
    {
        Assert.SkipUnless(DockerEngine.IsAvailable,
            "building the images and starting the compose stack need a Docker engine; `docker info` gets no answer here.");
        var root = FleetProcess.RepoRoot();

        foreach (var host in Hosts)
        {
            var build = await ProcessRunner.RunAsync("docker",
                ["build", "-f", Path.Combine(root, "src", $"RewardEvents.{host}", "Dockerfile"),
                 "--build-arg", $"VERSION={Version}", "-t", $"rewardevents/{host.ToLowerInvariant()}:{Version}", root],
                TimeSpan.FromMinutes(15));
            Assert.True(build.ExitCode == 0, $"docker build of {host} failed ({build.ExitCode}):\n{build.Output}");
        }

        // compose.env is git-ignored; the committed template's placeholders are enough for a smoke run.
        var envFile = Path.Combine(root, "deploy", "compose.env");
        var createdEnvFile = !File.Exists(envFile);
        if (createdEnvFile)
        {
            File.Copy(Path.Combine(root, "deploy", "compose.env.example"), envFile);
        }

        string[] compose = ["compose", "-f", Path.Combine(root, "docker-compose.yml"), "--project-directory", root,
            "-p", $"rewardevents-smoke-{Guid.NewGuid().ToString("N")[..8]}"];
        var environment = new Dictionary<string, string> { ["VERSION"] = Version };
        try
        {
            var up = await ProcessRunner.RunAsync("docker",
                [.. compose, "up", "-d", "--no-build", "--wait", "--wait-timeout", "300"], TimeSpan.FromMinutes(6), environment);
            Assert.True(up.ExitCode == 0, $"docker compose up --wait failed ({up.ExitCode}):\n{up.Output}");

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var response = await http.GetAsync(new Uri("http://127.0.0.1:8080/health/ready"), TestContext.Current.CancellationToken);
            Assert.True(response.IsSuccessStatusCode, $"GET /health/ready on the compose api answered {(int)response.StatusCode}");
        }
        finally
        {
            await ProcessRunner.RunAsync("docker", [.. compose, "down", "-v", "--timeout", "60"], TimeSpan.FromMinutes(3), environment);
            if (createdEnvFile)
            {
                File.Delete(envFile);
            }
        }
    }
}
