using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using RewardEvents.Fleet;
using RewardEvents.Fleet.Workers;

namespace RewardEvents.UnitTests.Fleet;

public sealed class DestinationPolicyTests
{
    [Fact]
    public async Task A_literal_private_url_is_refused_unless_private_networks_are_allowed()
    {
        var url = new Uri("http://10.1.2.3/hook");
        Assert.Contains("private", await Policy().CheckAsync(url, CancellationToken.None), StringComparison.Ordinal);
        Assert.Null(await Policy(o => o.AllowPrivateNetworks = true).CheckAsync(url, CancellationToken.None));
    }

    [Fact]
    public async Task A_name_resolving_to_any_private_address_is_refused_at_save_time()
    {
        var policy = Policy(resolver: new ScriptedResolver([IPAddress.Parse("93.184.216.34"), IPAddress.Parse("10.0.0.5")]));
        Assert.Contains("10.0.0.5", await policy.CheckAsync(new Uri("https://hooks.example.test/x"), CancellationToken.None), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_allowed_subnet_admits_its_addresses_and_nothing_else()
    {
        var policy = Policy(o => o.AllowedSubnets.Add("10.20.0.0/16"));
        Assert.Null(await policy.CheckAsync(new Uri("https://10.20.3.4/x"), CancellationToken.None));
        Assert.Null(policy.Refusal(IPAddress.Parse("::ffff:10.20.3.4")));
        Assert.NotNull(await policy.CheckAsync(new Uri("https://10.21.0.1/x"), CancellationToken.None));
    }

    [Fact]
    public async Task Cloud_metadata_is_refused_even_where_private_networks_are_allowed()
    {
        var policy = Policy(o => o.AllowPrivateNetworks = true);
        Assert.Contains("metadata", await policy.CheckAsync(new Uri("http://169.254.169.254/latest"), CancellationToken.None), StringComparison.Ordinal);
        Assert.Contains("metadata", await policy.CheckAsync(new Uri("http://[fd00:ec2::254]/latest"), CancellationToken.None), StringComparison.Ordinal);
        Assert.Null(await policy.CheckAsync(new Uri("http://127.0.0.1:9000/hook"), CancellationToken.None));
    }

    [Fact]
    public async Task Require_https_refuses_http_urls_at_save_time()
    {
        var policy = Policy(o => o.RequireHttps = true, new ScriptedResolver([IPAddress.Parse("93.184.216.34")]));
        Assert.Contains("https", await policy.CheckAsync(new Uri("http://hooks.example.test/x"), CancellationToken.None), StringComparison.Ordinal);
        Assert.Null(await policy.CheckAsync(new Uri("https://hooks.example.test/x"), CancellationToken.None));
    }

    [Fact]
    public async Task A_name_that_turns_private_after_the_save_check_is_never_connected_to()
    {
        using var receiver = new TcpListener(IPAddress.Loopback, 0);
        receiver.Start();
        var port = ((IPEndPoint)receiver.LocalEndpoint).Port;
        // DNS rebinding: public when the endpoint is saved, the receiver's loopback address when the worker sends.
        var resolver = new ScriptedResolver([IPAddress.Parse("93.184.216.34")], [IPAddress.Loopback]);
        var policy = Policy(resolver: resolver);
        var url = new Uri($"http://hooks.example.test:{port}/hook");
        Assert.Null(await policy.CheckAsync(url, CancellationToken.None));

        using var http = new HttpClient(WebhookHttpHandler.Create(policy));
        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync(url, new StringContent("{}"), TestContext.Current.CancellationToken));
        Assert.IsType<DestinationBlockedException>(failure.InnerException);
        Assert.Equal(2, resolver.Calls);
        Assert.False(receiver.Pending(), "the worker connected to a private address");
    }

    [Fact]
    public async Task The_same_rebinding_connects_when_the_subnet_is_allow_listed_so_the_listener_would_see_it()
    {
        using var receiver = new TcpListener(IPAddress.Loopback, 0);
        receiver.Start();
        var port = ((IPEndPoint)receiver.LocalEndpoint).Port;
        var resolver = new ScriptedResolver([IPAddress.Parse("93.184.216.34")], [IPAddress.Loopback]);
        var policy = Policy(o => o.AllowedSubnets.Add("127.0.0.0/8"), resolver);
        var url = new Uri($"http://hooks.example.test:{port}/hook");
        Assert.Null(await policy.CheckAsync(url, CancellationToken.None));

        using var http = new HttpClient(WebhookHttpHandler.Create(policy));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var send = http.PostAsync(url, new StringContent("{}"), cancel.Token);
        using var accepted = await receiver.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)accepted.Client.RemoteEndPoint!).Address);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        Assert.Equal(2, resolver.Calls); // once at save time, once for the connection: the socket resolves nothing itself
    }

    [Fact]
    public async Task Require_https_refuses_an_http_url_at_send_time_without_connecting()
    {
        using var receiver = new TcpListener(IPAddress.Loopback, 0);
        receiver.Start();
        var port = ((IPEndPoint)receiver.LocalEndpoint).Port;
        var policy = Policy(o =>
        {
            o.RequireHttps = true;
            o.AllowPrivateNetworks = true;
        });

        using var http = new HttpClient(WebhookHttpHandler.Create(policy));
        var failure = await Assert.ThrowsAsync<HttpRequestException>(
            () => http.PostAsync(new Uri($"http://127.0.0.1:{port}/hook"), new StringContent("{}"), TestContext.Current.CancellationToken));
        Assert.Contains("https", Assert.IsType<DestinationBlockedException>(failure.InnerException).Message, StringComparison.Ordinal);
        Assert.False(receiver.Pending());
    }

    [Theory]
    [InlineData("10.20.0.0/16", true)]
    [InlineData("fd00:1::/64", true)]
    [InlineData("127.0.0.1/32", true)]
    [InlineData("10.20.0.1/16", false)]
    [InlineData("10.20.0.0", false)]
    [InlineData("10.20.0.0/33", false)]
    [InlineData("intranet/8", false)]
    public void Allowed_subnets_must_be_exact_CIDR_networks(string cidr, bool valid)
    {
        Assert.Equal(valid, DestinationPolicy.IsValidSubnet(cidr));
    }

    [Fact]
    public async Task A_receiver_with_an_untrusted_certificate_fails_the_attempt()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        using var receiver = new TcpListener(IPAddress.Loopback, 0);
        receiver.Start();
        var port = ((IPEndPoint)receiver.LocalEndpoint).Port;
        var handshake = Task.Run(async () =>
        {
            using var client = await receiver.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
            await using var tls = new SslStream(client.GetStream());
            try
            {
                // Under TLS 1.3 the server may finish its side before the client rejects the certificate;
                // what matters is that no request follows.
                await tls.AuthenticateAsServerAsync(certificate);
                return await tls.ReadAsync(new byte[16], TestContext.Current.CancellationToken);
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException)
            {
                return 0;
            }
        });

        using var http = new HttpClient(WebhookHttpHandler.Create(Policy(o => o.AllowPrivateNetworks = true)));
        var failure = await Assert.ThrowsAsync<HttpRequestException>(
            () => http.PostAsync(new Uri($"https://127.0.0.1:{port}/hook"), new StringContent("{}"), TestContext.Current.CancellationToken));
        Assert.Equal(HttpRequestError.SecureConnectionError, failure.HttpRequestError);
        Assert.IsType<AuthenticationException>(failure.InnerException);
        Assert.Equal(0, await handshake); // no request bytes reached the receiver
    }

    [Fact]
    public void The_handler_follows_no_redirects()
    {
        using var handler = WebhookHttpHandler.Create(Policy());
        Assert.False(handler.AllowAutoRedirect);
        Assert.False(handler.UseProxy);
        Assert.Null(handler.SslOptions.RemoteCertificateValidationCallback);
    }

    private static DestinationPolicy Policy(Action<DeliveryOptions>? configure = null, IHostResolver? resolver = null)
    {
        var options = new DeliveryOptions();
        configure?.Invoke(options);
        return new DestinationPolicy(Options.Create(options), resolver ?? new ScriptedResolver([IPAddress.Parse("93.184.216.34")]));
    }

    /// <summary>Answers each lookup with the next scripted answer, repeating the last.</summary>
    private sealed class ScriptedResolver(params IPAddress[][] answers) : IHostResolver
    {
        public int Calls { get; private set; }

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            var answer = answers[Math.Min(Calls, answers.Length - 1)];
            Calls++;
            return answer.Length == 0 ? throw new SocketException((int)SocketError.HostNotFound) : Task.FromResult(answer);
        }
    }
}
