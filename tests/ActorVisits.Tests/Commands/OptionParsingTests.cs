using ActorVisits.Commands;
using ActorVisits.Kafka.Admin;
using ActorVisits.Kafka.Settings;

namespace ActorVisits.Tests.Commands;

public sealed class OptionParsingTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("60s", 60_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("00:01:30", 90_000)]
    public void Durations(string text, int milliseconds)
    {
        Assert.True(ActorVisits.Commands.Durations.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("2.5")]
    [InlineData("ten seconds")]
    public void A_duration_without_a_unit_is_refused_not_read_as_days(string text) =>
        Assert.False(ActorVisits.Commands.Durations.TryParse(text, out _));

    [Fact]
    public void Reset_targets()
    {
        Assert.True(OffsetTarget.TryParse("earliest", out var earliest));
        Assert.IsType<OffsetTarget.Earliest>(earliest);
        Assert.True(OffsetTarget.TryParse("LATEST", out var latest));
        Assert.IsType<OffsetTarget.Latest>(latest);
        Assert.True(OffsetTarget.TryParse("2019-03-02T10:21:05+01:00", out var at));
        Assert.Equal(new DateTimeOffset(2019, 3, 2, 9, 21, 5, TimeSpan.Zero), Assert.IsType<OffsetTarget.AtTime>(at).Time);
        Assert.False(OffsetTarget.TryParse("tomorrow-ish", out _));
        Assert.Equal(new DateTimeOffset(2019, 3, 2, 9, 21, 5, 250, TimeSpan.Zero),
            Assert.IsType<OffsetTarget.AtTime>(OffsetTarget.TryParse("2019-03-02T09:21:05.25Z", out var utc) ? utc : null).Time);
        // Without an offset: UTC; a date alone: its midnight in UTC.
        Assert.Equal(new DateTimeOffset(2019, 3, 2, 9, 21, 5, TimeSpan.Zero),
            Assert.IsType<OffsetTarget.AtTime>(OffsetTarget.TryParse("2019-03-02T09:21:05", out var bare) ? bare : null).Time);
        Assert.Equal(new DateTimeOffset(2019, 3, 2, 0, 0, 0, TimeSpan.Zero),
            Assert.IsType<OffsetTarget.AtTime>(OffsetTarget.TryParse("2019-03-02", out var day) ? day : null).Time);
        Assert.Equal(new OffsetTarget.ToOffset(1234), OffsetTarget.TryParse("1234", out var offset) ? offset : null);
        Assert.Equal(new OffsetTarget.ShiftBy(-1000), OffsetTarget.TryParse("-1000", out var back) ? back : null);
        Assert.Equal(new OffsetTarget.ShiftBy(500), OffsetTarget.TryParse("+500", out var ahead) ? ahead : null);
        Assert.Equal(new OffsetTarget.Ago(TimeSpan.FromHours(1)), OffsetTarget.TryParse("1h", out var hour) ? hour : null);
        Assert.Equal(new OffsetTarget.Ago(TimeSpan.FromMinutes(90)), OffsetTarget.TryParse("PT1H30M", out var iso) ? iso : null);
        Assert.Equal(new OffsetTarget.Ago(TimeSpan.FromDays(2)), OffsetTarget.TryParse("2d", out var days) ? days : null);
        foreach (var wrong in new[] { "0s", "PT", "P", "1w", "--5", "1.5" })
            Assert.False(OffsetTarget.TryParse(wrong, out _), wrong);
        // Not ISO-8601: read in some culture's order, or as today.
        foreach (var vague in new[] { "03/04/2019", "10:00", "March 2, 2019", "2019-3-2" })
            Assert.False(OffsetTarget.TryParse(vague, out _), vague);
    }

    [Fact]
    public void Client_properties_pass_through_and_secrets_are_masked_in_logs()
    {
        var config = ClientProperties.Create("broker:9093", ClientProperties.Parse(["security.protocol=SASL_SSL", "sasl.username=shop", "sasl.password=hunter2"]));

        Assert.Equal("SASL_SSL", config.Get("security.protocol"));
        var described = string.Join("\n", ClientProperties.Describe(config));
        Assert.Contains("sasl.username=shop", described);
        Assert.Contains("sasl.password=*****", described);
        Assert.DoesNotContain("hunter2", described);
        Assert.Throws<ArgumentException>(() => ClientProperties.Parse(["no-equals-sign"]));
    }

    [Fact]
    public void Bench_properties_are_checked_and_the_delivery_settings_it_measures_cannot_be_changed()
    {
        Assert.Equal([KeyValuePair.Create("socket.nagle.disable", "true")], BenchCommand.BenchProperties(["socket.nagle.disable=true"]));

        var fixedOne = Assert.Throws<InvalidConfigurationException>(() => BenchCommand.BenchProperties(["linger.ms=1", "acks=1"]));
        Assert.Contains("--property acks", fixedOne.Message);
        var refused = Assert.Throws<InvalidConfigurationException>(() => BenchCommand.BenchProperties(["linger.ms=soon"]));
        Assert.Contains("--property linger.ms", refused.Message);
        var malformed = Assert.Throws<InvalidConfigurationException>(() => BenchCommand.BenchProperties(["no-equals-sign"]));
        Assert.Contains("--property", malformed.Message);
    }

    [Theory]
    [InlineData("acks=1", "acks")]
    [InlineData("request.required.acks=0", "request.required.acks")]
    [InlineData("enable.idempotence=false", "enable.idempotence")]
    [InlineData("enable.auto.commit=true", "enable.auto.commit")]
    [InlineData("enable.auto.offset.store=true", "enable.auto.offset.store")]
    public void A_client_property_weakening_delivery_is_refused_naming_it(string pair, string key)
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => ClientProperties.Validate(ClientProperties.Parse([pair]), k => $"--property {k}"));
        Assert.Contains($"--property {key} = ", error.Message);
        Assert.Contains("delivery guarantee", error.Message);
    }

    [Fact]
    public void A_client_property_repeating_what_delivery_needs_is_accepted()
    {
        // As a Kafka tools' properties file may say it.
        ClientProperties.Validate(ClientProperties.Parse(["acks=all", "enable.idempotence=true", "enable.auto.commit=false", "request.required.acks=-1"]), k => k);
    }

    [Theory]
    [InlineData("bootstrap.servers")]
    [InlineData("metadata.broker.list")]
    public void The_brokers_as_a_client_property_must_be_the_bootstrap_servers(string key)
    {
        // The same brokers (a Kafka tools' properties file lists them too): accepted, and the property dropped.
        Assert.Equal(["security.protocol"], ClientProperties.WithoutBrokers(new Dictionary<string, string> { [key] = "b:9092, a:9092", ["security.protocol"] = "SSL" }, "a:9092,b:9092").Keys);
        // Others: refused, naming both.
        var error = Assert.Throws<InvalidConfigurationException>(() => ClientProperties.WithoutBrokers(new Dictionary<string, string> { [key] = "elsewhere:9092" }, "a:9092"));
        Assert.Contains($"{key} = 'elsewhere:9092'", error.Message);
        Assert.Contains("'a:9092'", error.Message);
    }

    [Fact]
    public void A_parse_error_never_repeats_a_secret_argument()
    {
        // Lower-case -x is not an option: the default error output would repeat "sasl.password=hunter2".
        string[] args = ["tail", "-x", "sasl.password=hunter2", "--count", "5"];
        var parse = Root().Parse(args);
        Assert.NotEmpty(parse.Errors);
        Assert.Contains(parse.Errors, e => e.Message.Contains("hunter2", StringComparison.Ordinal));

        var error = new StringWriter();
        Assert.True(SecretArguments.TryReportMasked(parse, args, error));
        Assert.DoesNotContain("hunter2", error.ToString());
        Assert.Contains("sasl.password=*****", error.ToString());
        Assert.Contains("tail --help", error.ToString());

        // A misspelt long option written with '=', and a secret key given apart from its value.
        foreach (string[] leaky in new[] { ["tail", "--proprety=sasl.password=hunter2"], new[] { "tail", "-X", "sasl.password", "hunter2" } })
        {
            var leakyParse = Root().Parse(leaky);
            Assert.Contains(leakyParse.Errors, e => e.Message.Contains("hunter2", StringComparison.Ordinal));
            var masked = new StringWriter();
            Assert.True(SecretArguments.TryReportMasked(leakyParse, leaky, masked), string.Join(' ', leaky));
            Assert.DoesNotContain("hunter2", masked.ToString());
        }

        // Not secrets: a path or a group that merely contains "secret" or "token", and an empty value.
        foreach (var plainArgs in new[] { new[] { "tail", "--properties-file", "/run/secrets/kafka.properties", "--bogus" }, ["tail", "-g", "token-service", "--x"] })
            Assert.False(SecretArguments.TryReportMasked(Root().Parse(plainArgs), plainArgs, new StringWriter()), string.Join(' ', plainArgs));
        string[] empty = ["tail", "-X", "sasl.password", "", "--bogus"];
        Assert.False(SecretArguments.TryReportMasked(Root().Parse(empty), empty, new StringWriter()), "an empty value is no secret to mask");

        // No secret: the default output, which shows the help too.
        string[] plain = ["tail", "--nonsense"];
        Assert.False(SecretArguments.TryReportMasked(Root().Parse(plain), plain, new StringWriter()));
    }

    [Theory]
    [InlineData("--count", "tail", "--count", "0")]
    [InlineData("--count", "tail", "-n", "-3")]
    [InlineData("--commit-batch", "tail", "--commit-batch", "0")]
    [InlineData("--broker", "faults", "down 1 for 1s", "--broker", "not-a-uri")]
    [InlineData("--partitions", "bench", "--partitions", "0")]
    [InlineData("--port", "broker", "--port", "70000")]
    [InlineData("--control-port", "broker", "--control-port", "-1")]
    [InlineData("--replication-factor", "topics", "--replication-factor", "65539")]
    [InlineData("--partitions", "topics", "--partitions", "0")]
    [InlineData("--top", "watch", "--top", "0")]
    [InlineData("--count", "generate", "-n", "0")]
    [InlineData("--http-port", "demo", "--http-port", "65536")]
    public void Nonsense_numbers_and_addresses_are_parse_errors_naming_the_option(string option, params string[] args)
    {
        var error = Assert.Single(Root().Parse(args).Errors);
        Assert.StartsWith(option + " must be", error.Message);
    }

    private static System.CommandLine.RootCommand Root() =>
        new() { TailCommand.Create(), FaultsCommand.Create(), BenchCommand.Create(), BrokerCommand.Create(), TopicsCommand.Create(), WatchCommand.Create(), GenerateCommand.Create(), DemoCommand.Create() };
}
