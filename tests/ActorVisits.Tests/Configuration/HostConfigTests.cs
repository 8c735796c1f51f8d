using ActorVisits.Kafka.Settings;
using System.CommandLine;
using ActorVisits.Commands;
using ActorVisits.Configuration;
using ActorVisits.Processing;

namespace ActorVisits.Tests.Configuration;

public sealed class HostConfigTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"actorvisits-{Guid.NewGuid():N}.conf");

    [Fact]
    public void The_reference_configuration_gives_the_documented_defaults()
    {
        var settings = KafkaSettings.FromConfig(HostConfig.Reference);

        Assert.Equal("127.0.0.1:9092", settings.BootstrapServers);
        Assert.Empty(settings.ClientProperties);
        Assert.Equal(TimeSpan.FromMilliseconds(50), settings.PollTimeout);
        Assert.Equal(10_000, settings.MaxBufferedRecords);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.PauseWhenFullFor);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.Consumer("g", Confluent.Kafka.Deserializers.Utf8, Confluent.Kafka.Deserializers.Utf8).PauseWhenFullFor);
        Assert.Equal(500, settings.Consumer("g", Confluent.Kafka.Deserializers.Utf8, Confluent.Kafka.Deserializers.Utf8).Config.FetchWaitMaxMs);
        Assert.Equal(10_000, settings.MaxInFlightRecords);
        Assert.Equal(1000, settings.Committer.MaxBatch);
        Assert.Equal(TimeSpan.FromMilliseconds(200), settings.Committer.MaxInterval);
        Assert.Equal(TimeSpan.FromMinutes(5), settings.OutageTolerance);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.RevokeDrainTimeout);
    }

    [Fact]
    public void Environment_variables_override_the_file_and_flags_override_them()
    {
        File.WriteAllText(_file, "actorvisits.kafka.bootstrap-servers = \"from-file:9092\"");
        var environment = new EnvironmentVariables(name => name == "ACTORVISITS_BOOTSTRAP_SERVERS" ? "from-env:9092" : null);

        Assert.Equal("from-env:9092", Resolve(environment, "--config", _file).BootstrapServers);
        Assert.Equal("from-flag:9093", Resolve(environment, "--config", _file, "-b", "from-flag:9093").BootstrapServers);
    }

    [Fact]
    public void A_file_overrides_the_reference_and_flags_override_the_file()
    {
        File.WriteAllText(_file, """
            actorvisits.kafka {
              bootstrap-servers = "from-file:9092"
              client-properties { "security.protocol" = SASL_SSL, "sasl.username" = shop }
              committer.max-batch = 1
            }
            """);

        var fromFile = Resolve("--config", _file);
        var flagged = Resolve("--config", _file, "-b", "from-flag:9093", "-X", "sasl.username=ops");

        Assert.Equal("from-file:9092", fromFile.BootstrapServers);
        Assert.Equal("SASL_SSL", fromFile.Client().Get("security.protocol"));
        Assert.Equal(1, fromFile.Committer.MaxBatch);
        Assert.Equal(10_000, fromFile.MaxBufferedRecords);
        Assert.Equal("from-flag:9093", flagged.BootstrapServers);
        Assert.Equal("ops", flagged.Client().Get("sasl.username"));
        Assert.Equal("SASL_SSL", flagged.Client().Get("security.protocol"));
    }

    [Theory]
    [InlineData("actorvisits.kafka.consumer.max-buffered-records = 0", "actorvisits.kafka.consumer.max-buffered-records")]
    [InlineData("actorvisits.kafka.consumer.poll-timeout = soon", "actorvisits.kafka.consumer.poll-timeout")]
    [InlineData("actorvisits.kafka.consumer.pause-when-full-for = 0s", "actorvisits.kafka.consumer.pause-when-full-for")]
    [InlineData("actorvisits.kafka.committer.max-interval = -1s", "actorvisits.kafka.committer.max-interval")]
    [InlineData("actorvisits.kafka.bootstrap-servers = \"\"", "actorvisits.kafka.bootstrap-servers")]
    public void A_bad_value_fails_with_a_message_naming_its_key(string line, string key)
    {
        File.WriteAllText(_file, line);

        var error = Assert.Throws<InvalidConfigurationException>(() => Resolve("--config", _file));

        Assert.Contains($"'{key}'", error.Message);
    }

    [Theory]
    [InlineData("actorvisits.processor.on-record-eror = stop", "actorvisits.processor.on-record-eror")]
    [InlineData("actorvisits.kafka.client-property { \"sasl.password\" = x }", "actorvisits.kafka.client-property.")]
    [InlineData("actorvisits.processor.windows.10s { length = 10s, topik = visits_10s }", "actorvisits.processor.windows.10s.topik")]
    [InlineData("actorvisits { cluster { seed-node = [\"a:1\"] } }", "actorvisits.cluster.seed-node")]
    public void A_key_actorvisits_does_not_read_is_refused_naming_it(string line, string key)
    {
        File.WriteAllText(_file, line);

        var error = Assert.Throws<InvalidConfigurationException>(() => HostConfig.Load(_file));

        Assert.Contains($"'{key}", error.Message);
    }

    [Fact]
    public void The_shipped_configurations_and_free_form_keys_are_accepted()
    {
        File.WriteAllText(_file, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "lab", "cluster-node.conf")) + """

            actorvisits.kafka.client-properties { "security.protocol" = SASL_SSL, "sasl.username" = ops }
            actorvisits.processor.windows.10s { length = 10s, topic = visits_10s }
            akka.loglevel = DEBUG
            """);

        var config = HostConfig.Load(_file);

        Assert.Equal("ops", KafkaSettings.FromConfig(config).ClientProperties["sasl.username"]);
    }

    [Fact]
    public void Adding_a_window_is_configuration_only()
    {
        File.WriteAllText(_file, "actorvisits.processor.windows.10s { length = 10s, topic = visits_10s }");

        var windows = ProcessorSettings.FromConfig(HostConfig.Load(_file)).Windows;

        Assert.Equal(["10s:10:visits_10s", "30s:30:visits_30s", "1mn:60:visits_1mn", "5mn:300:visits_5mn"],
            windows.Windows.Select(w => $"{w.Name}:{w.Seconds}:{w.Topic}"));
        Assert.Equal(300, windows.LongestSeconds);
    }

    [Fact]
    public void The_topics_of_a_deployment_follow_its_windows_and_late_topic()
    {
        Assert.Equal(["visits", "visits_30s", "visits_1mn", "visits_5mn", "visits_dlq", "visits_late"], Topics.Of(ProcessorSettings.FromConfig(HostConfig.Reference)));

        File.WriteAllText(_file, """
            actorvisits.processor {
              windows.10s { length = 10s, topic = visits_10s }
              late-topic = off
              on-record-error = stop
            }
            """);
        var settings = ProcessorSettings.FromConfig(HostConfig.Load(_file));

        Assert.Equal(["visits", "visits_10s", "visits_30s", "visits_1mn", "visits_5mn", "visits_dlq"], Topics.Of(settings));
        Assert.Equal((null, RecordErrorPolicy.Stop, 65_536, 1_000_000), (settings.LateTopic, settings.OnRecordError, settings.MaxVisitBytes, settings.DeadLetterMaxBytes));
    }

    [Theory]
    [InlineData("actorvisits.processor.start-from = beginning", "actorvisits.processor.start-from")]
    [InlineData("actorvisits.processor.windows.2mn { length = 90500ms, topic = x }", "actorvisits.processor.windows.2mn.length")]
    [InlineData("actorvisits.processor.windows.2mn { length = 2m }", "actorvisits.processor.windows.2mn.topic")]
    [InlineData("actorvisits.processor.windows.1d { length = 1d, topic = x }", "actorvisits.processor.windows.1d.length")]
    [InlineData("actorvisits.processor.max-future-skew = 0s", "actorvisits.processor.max-future-skew")]
    [InlineData("actorvisits.processor.parallelism = many", "actorvisits.processor.parallelism")]
    [InlineData("actorvisits.processor.on-record-error = ignore", "actorvisits.processor.on-record-error")]
    [InlineData("actorvisits.processor.max-visit-bytes = 0", "actorvisits.processor.max-visit-bytes")]
    [InlineData("actorvisits.processor.dead-letter-max-bytes = big", "actorvisits.processor.dead-letter-max-bytes")]
    public void A_bad_processor_value_fails_with_a_message_naming_its_key(string line, string key)
    {
        File.WriteAllText(_file, line);

        var error = Assert.Throws<InvalidConfigurationException>(() => ProcessorSettings.FromConfig(HostConfig.Load(_file)));

        Assert.Contains($"'{key}'", error.Message);
    }

    [Fact]
    public void A_missing_file_or_a_malformed_property_flag_is_reported_as_such()
    {
        Assert.Contains("does not exist", Assert.Throws<InvalidConfigurationException>(() => Resolve("--config", _file)).Message);
        Assert.Contains("--property", Assert.Throws<InvalidConfigurationException>(() => Resolve("-X", "no-equals-sign")).Message);
    }

    [Fact]
    public void A_client_property_librdkafka_refuses_is_reported_at_startup_naming_it_and_never_showing_a_secret()
    {
        File.WriteAllText(_file, """actorvisits.kafka.client-properties { "linger.ms" = soon }""");

        static string Refusal(string property) => Assert.Throws<InvalidConfigurationException>(() => Resolve("-X", property)).Message;
        var fromFile = Assert.Throws<InvalidConfigurationException>(() => Resolve("--config", _file)).Message;
        var unknown = Refusal("no.such.property=1");
        var badValue = Refusal("auto.offset.reset=sometime");

        Assert.Contains("'actorvisits.kafka.client-properties.\"linger.ms\"' = 'soon'", fromFile);
        Assert.Contains("--property no.such.property", unknown);
        Assert.Contains("No such configuration property", unknown);
        Assert.Contains("--property auto.offset.reset = 'sometime'", badValue);
        // A secret's key, the same key misspelt (it no longer looks secret), or typed with the wrong separator: each
        // refusal names the key and never shows the value.
        foreach (var (property, named) in new[]
                 {
                     ("sasl.oauthbearer.client.secret.typo=hunter2", "--property sasl.oauthbearer.client.secret.typo"),
                     ("sasl.pasword=hunter2", "sasl.pasword"),
                     ("sasl.password:hunter2", "sasl.password"),
                 })
        {
            var refusal = Refusal(property);
            Assert.Contains(named, refusal);
            Assert.DoesNotContain("hunter2", refusal);
        }
        // Accepted properties pass untouched, whatever Confluent.Kafka's typed view of them would say.
        Assert.Equal("smallest", Resolve("-X", "auto.offset.reset=smallest").Client().Get("auto.offset.reset"));
    }

    [Fact]
    public void A_properties_file_passes_secrets_off_the_command_line_under_the_flags_and_never_shows_them()
    {
        var properties = _file + ".properties";
        try
        {
            File.WriteAllText(properties, "# mounted from a secret\nsecurity.protocol = SASL_SSL\n\nsasl.username=shop\nsasl.password=hunter2\nlinger.ms=7\n");
            File.WriteAllText(_file, """actorvisits.kafka.client-properties { "linger.ms" = 3, "sasl.username" = config }""");
            var environment = new EnvironmentVariables(name => name == KafkaOptions.PropertiesFileEnvironmentVariable ? properties : null);

            // The file over the configuration, -X over the file; from the flag or from the environment.
            foreach (var settings in new[] { Resolve("--config", _file, "--properties-file", properties, "-X", "linger.ms=9"), Resolve(environment, "--config", _file, "-X", "linger.ms=9") })
            {
                Assert.Equal("SASL_SSL", settings.ClientProperties["security.protocol"]);
                Assert.Equal("shop", settings.ClientProperties["sasl.username"]);
                Assert.Equal("hunter2", settings.ClientProperties["sasl.password"]);
                Assert.Equal("9", settings.ClientProperties["linger.ms"]);
            }

            // A bad line is named by its number, a refused secret by its key; neither shows the value.
            File.WriteAllText(properties, "sasl.username=shop\nsasl.password hunter2\n");
            var malformed = Assert.Throws<InvalidConfigurationException>(() => Resolve("--properties-file", properties)).Message;
            Assert.Contains("line 2", malformed);
            Assert.DoesNotContain("hunter2", malformed);
            File.WriteAllText(properties, "sasl.pasword=hunter2\n");
            var refused = Assert.Throws<InvalidConfigurationException>(() => Resolve("--properties-file", properties)).Message;
            Assert.Contains("sasl.pasword", refused);
            Assert.DoesNotContain("hunter2", refused);
            File.Delete(properties);
            Assert.Contains("cannot read", Assert.Throws<InvalidConfigurationException>(() => Resolve("--properties-file", properties)).Message);
        }
        finally
        {
            File.Delete(properties);
        }
    }

    [Theory]
    [InlineData(new[] { "--cluster", "false" }, "on", false)]
    [InlineData(new[] { "--cluster" }, "off", true)]
    [InlineData(new string[0], "on", true)]
    [InlineData(new string[0], null, false)]
    public void The_cluster_flag_given_decides_either_way_over_the_environment(string[] args, string? environmentValue, bool enabled)
    {
        Assert.Equal(enabled, ResolveCluster(new EnvironmentVariables(name => name == "ACTORVISITS_CLUSTER" ? environmentValue : null), args).Enabled);
    }

    [Theory]
    [InlineData("10.0.0.5:4053", "127.0.0.1", "loopback address")]
    [InlineData("kafka-node-1:4053", "localhost", "loopback address")]
    [InlineData("akka.tcp://other@10.0.0.5:4053", "10.0.0.6", "another actor system")]
    [InlineData("10.0.0.5", "10.0.0.6", "must be host:port")]
    public void A_seed_this_node_could_not_join_is_refused_saying_why(string seed, string hostname, string reason)
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => ResolveCluster(EnvironmentVariables.None, "--cluster", "--seed", seed, "--hostname", hostname));
        Assert.Contains(reason, error.Message);
        Assert.Contains(reason == "loopback address" ? "--hostname" : "--seed", error.Message);
    }

    [Theory]
    [InlineData("127.0.0.1:4053", "127.0.0.1")]
    [InlineData("10.0.0.5:4053", "10.0.0.6")]
    [InlineData("akka.tcp://actorvisits@10.0.0.5:4053", "10.0.0.6")]
    public void A_seed_this_node_can_join_is_accepted(string seed, string hostname)
    {
        Assert.Equal(["akka.tcp://actorvisits@" + seed.Replace("akka.tcp://actorvisits@", "")],
            ResolveCluster(EnvironmentVariables.None, "--cluster", "--seed", seed, "--hostname", hostname).SeedAddresses);
    }

    [Fact]
    public void A_seed_list_naming_no_seed_is_refused_naming_its_variable()
    {
        var environment = new EnvironmentVariables(name => name == "ACTORVISITS_CLUSTER_SEEDS" ? " , " : null);
        Assert.Contains("ACTORVISITS_CLUSTER_SEEDS", Assert.Throws<InvalidConfigurationException>(() => ResolveCluster(environment, "--cluster")).Message);
        // Not a cluster node: its seeds do not matter.
        Assert.False(ResolveCluster(environment).Enabled);
    }

    private static KafkaSettings Resolve(params string[] args) => Resolve(EnvironmentVariables.None, args);

    private static ClusterSettings ResolveCluster(EnvironmentVariables environment, params string[] args)
    {
        var options = new ClusterOptions(environment);
        var command = new RootCommand();
        options.AddTo(command);
        return options.Resolve(command.Parse(args), HostConfig.Reference);
    }

    private static KafkaSettings Resolve(EnvironmentVariables environment, params string[] args)
    {
        var options = new KafkaOptions(environment);
        var command = new RootCommand();
        options.AddTo(command);
        return options.Resolve(command.Parse(args));
    }

    public void Dispose() => File.Delete(_file);
}
