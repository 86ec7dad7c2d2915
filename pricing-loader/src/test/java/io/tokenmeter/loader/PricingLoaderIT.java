package io.tokenmeter.loader;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.pricing.PriceCardCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI end to end against a real KRaft broker in the JVM, with the real LiteLLM snapshots. */
class PricingLoaderIT {
  private static final Instant AUG_RUN = Instant.parse("2025-08-07T06:00:00Z");
  private static final Instant SEP_RUN = Instant.parse("2025-09-01T06:00:00Z");
  private static final String AUGUST = SharedData.pricing("litellm-2025-08-07.json").toString();
  private static final String SEPTEMBER = SharedData.pricing("litellm-2025-09-01.json").toString();

  private static KafkaClusterTestKit cluster;
  private static Admin admin;

  @TempDir Path dir;

  @BeforeAll
  static void startKafka() throws Exception {
    cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
        .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("offsets.topic.replication.factor", "1")
        .build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
    admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()));
  }

  @AfterAll
  static void stopKafka() throws Exception {
    if (admin != null) {
      admin.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  record Run(int exitCode, String out, String err) {
    /** The figure of a summary line, e.g. {@code added}. */
    long figure(String name) {
      return out.lines().map(String::trim).filter(l -> l.startsWith(name + " "))
          .map(l -> Long.parseLong(l.substring(name.length()).trim().split("\\s+")[0]))
          .findFirst().orElseThrow(() -> new AssertionError("no '" + name + "' in summary:\n" + out));
    }
  }

  private static Run load(Instant at, String topic, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new PricingLoader(Map.of(), Clock.fixed(at, ZoneOffset.UTC)));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    String[] common = {"--bootstrap-servers", cluster.bootstrapServers(), "--topic", topic, "--timeout", "30"};
    int code = cli.execute(Stream.concat(Stream.of(common), Stream.of(args)).toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  /** The topic's records by key, last value wins (null for a tombstone), read committed. */
  private static Map<String, PriceCard> cards(String topic) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    Map<String, PriceCard> byKey = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        assertThat(System.nanoTime()).as("reading %s in time", topic).isLessThan(deadline);
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          String key = new String(r.key(), StandardCharsets.UTF_8);
          byKey.put(key, r.value() == null ? null : PriceCardCodec.parse(key, r.value()));
        }
      }
    }
    return byKey;
  }

  /**
   * Sum of the partitions' end offsets: any record or transaction marker written moves it. Waits
   * until no transaction is pending (commit markers are written just after commitTransaction
   * returns), so that two measurements compare settled states.
   */
  private static long endOffset(String topic) throws Exception {
    if (!admin.listTopics().names().get().contains(topic)) {
      return 0;
    }
    TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    d.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      long end = sum(admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)));
      long stable = sum(admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)));
      if (end == stable) {
        return end;
      }
      assertThat(System.nanoTime()).as("transactions on %s settle", topic).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static long sum(ListOffsetsResult offsets) throws Exception {
    return offsets.all().get().values().stream().mapToLong(o -> o.offset()).sum();
  }

  @Test
  void shouldWriteExactlyTheAddedAndChangedCardsOfSeptemberThenNothingOnASecondRun() throws Exception {
    // Given the August snapshot loaded into an empty topic
    String topic = "pricing-aug-sep";
    Run august = load(AUG_RUN, topic, "--source", AUGUST);
    assertThat(august.exitCode()).as(august.err()).isZero();
    assertThat(august.figure("added")).isEqualTo(1199);
    assertThat(august.figure("written")).isEqualTo(1199);
    assertThat(august.figure("skipped")).isEqualTo(212);

    // When the September snapshot is loaded
    Run september = load(SEP_RUN, topic, "--source", SEPTEMBER);

    // Then exactly the 269 new models and the 12 re-priced ones are written
    assertThat(september.exitCode()).as(september.err()).isZero();
    assertThat(september.figure("read")).isEqualTo(1701);
    assertThat(september.figure("added")).isEqualTo(269);
    assertThat(september.figure("changed")).isEqualTo(12);
    assertThat(september.figure("unchanged")).isEqualTo(1187);
    assertThat(september.figure("retracted")).isZero();
    assertThat(september.figure("skipped")).isEqualTo(233);
    assertThat(september.figure("written")).isEqualTo(281);
    assertThat(september.out()).containsPattern("skipped +233  entries: 233 no per-token price");
    assertThat(september.out()).contains("~ deepinfra/meta-llama/Llama-2-70b-chat-hf@2025-09-01T06:00:00Z  "
        + "input 0.0000007 -> 0.00000064, output 0.0000009 -> 0.0000008");

    Map<String, PriceCard> cards = cards(topic);
    assertThat(cards).hasSize(1199 + 281);
    // a changed model keeps its old card and gets a new one from the run on
    assertThat(cards.get("deepinfra/meta-llama/Llama-2-70b-chat-hf@1970-01-01T00:00:00Z").price("input"))
        .isEqualByComparingTo("0.0000007");
    PriceCard llama = cards.get("deepinfra/meta-llama/Llama-2-70b-chat-hf@2025-09-01T06:00:00Z");
    assertThat(llama.price("input")).isEqualByComparingTo("0.00000064");
    assertThat(llama.price("output")).isEqualByComparingTo("0.0000008");
    // a new model's first card holds from the beginning of time
    PriceCard gpt5 = cards.get("gpt-5@1970-01-01T00:00:00Z");
    assertThat(gpt5.price("input")).isEqualByComparingTo("0.00000125");
    assertThat(gpt5.price("cache_read")).isEqualByComparingTo("0.000000125");
    // September added a long-context tier to claude-4-sonnet-20250514
    PriceCard sonnet = cards.get("claude-4-sonnet-20250514@2025-09-01T06:00:00Z");
    assertThat(sonnet.tiers()).hasSize(1);
    assertThat(sonnet.tiers().get(0).aboveInputTokens()).isEqualTo(200_000L);
    assertThat(sonnet.tiers().get(0).prices().get("output")).isEqualByComparingTo("0.0000225");
    assertThat(cards).doesNotContainKey("gpt-4o-2024-08-06@2025-09-01T06:00:00Z");

    // When September is loaded again the next day
    long before = endOffset(topic);
    Run again = load(SEP_RUN.plusSeconds(86_400), topic, "--source", SEPTEMBER);

    // Then nothing at all is written
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.figure("written")).isZero();
    assertThat(again.figure("unchanged")).isEqualTo(1468);
    assertThat(endOffset(topic)).isEqualTo(before);
  }

  @Test
  void shouldPrintTheDiffAndWriteNothingOnADryRun() throws Exception {
    // Given August on the topic
    String topic = "pricing-dry-run";
    Run aug = load(AUG_RUN, topic, "--source", AUGUST);
    assertThat(aug.exitCode()).as(aug.err()).isZero();
    long before = endOffset(topic);

    // When September is loaded with --dry-run
    Run dry = load(SEP_RUN, topic, "--source", SEPTEMBER, "--dry-run");

    // Then the diff names the added and changed cards with their prices, and nothing is written
    assertThat(dry.exitCode()).as(dry.err()).isZero();
    assertThat(dry.out())
        .contains("+ gpt-5@1970-01-01T00:00:00Z  provider=openai mode=chat currency=USD cache_read=0.000000125 "
            + "input=0.00000125 output=0.00001")
        .contains("~ deepinfra/meta-llama/Llama-2-70b-chat-hf@2025-09-01T06:00:00Z  input 0.0000007 -> 0.00000064")
        .contains("~ claude-4-sonnet-20250514@2025-09-01T06:00:00Z  above_200000.cache_read (none) -> 0.0000006")
        .contains("summary (dry run, nothing written):");
    assertThat(dry.out().lines().filter(l -> l.startsWith("+ "))).hasSize(269);
    assertThat(dry.out().lines().filter(l -> l.startsWith("~ "))).hasSize(12);
    assertThat(dry.figure("written")).isZero();
    assertThat(endOffset(topic)).isEqualTo(before);

    // And a dry run against a missing topic does not create it
    Run fresh = load(SEP_RUN, "pricing-dry-run-missing", "--source", SEPTEMBER, "--dry-run");
    assertThat(fresh.exitCode()).as(fresh.err()).isZero();
    assertThat(fresh.figure("added")).isEqualTo(1468);
    assertThat(admin.listTopics().names().get()).doesNotContain("pricing-dry-run-missing");
  }

  @Test
  void shouldWriteNothingAndExitWithTheInvalidInputCodeForAMalformedOrInvalidCatalog() throws Exception {
    // Given August on the topic, a truncated catalog and one with a negative price
    String topic = "pricing-malformed";
    assertThat(load(AUG_RUN, topic, "--source", AUGUST).exitCode()).isZero();
    long before = endOffset(topic);
    byte[] september = Files.readAllBytes(Path.of(SEPTEMBER));
    Path truncated = Files.write(dir.resolve("truncated.json"), java.util.Arrays.copyOf(september, 10_000));
    Path negative = Files.writeString(dir.resolve("negative.json"), new String(september, StandardCharsets.UTF_8)
        .replaceFirst("\"input_cost_per_token\": 2.5e-06", "\"input_cost_per_token\": -2.5e-06"));

    // When each is loaded
    Run malformed = load(SEP_RUN, topic, "--source", truncated.toString());
    Run invalid = load(SEP_RUN, topic, "--source", negative.toString());

    // Then both exit 2 naming the problem, and nothing is written
    assertThat(malformed.exitCode()).isEqualTo(2);
    assertThat(malformed.err()).contains("truncated.json is not a LiteLLM catalog").contains("nothing was written");
    assertThat(invalid.exitCode()).isEqualTo(2);
    assertThat(invalid.err()).contains("entry 'gpt-4o': invalid: price card 'gpt-4o': prices.input is negative (-0.0000025)");
    assertThat(endOffset(topic)).isEqualTo(before);

    // And with --skip-invalid the bad entry is skipped, its August card kept, the rest loaded
    Run skipping = load(SEP_RUN, topic, "--source", negative.toString(), "--skip-invalid");
    assertThat(skipping.exitCode()).as(skipping.err()).isZero();
    assertThat(skipping.out()).containsPattern("skipped +234  entries: 1 invalid: .*gpt-4o.*, 233 no per-token price");
    assertThat(skipping.figure("written")).isEqualTo(281);
    assertThat(skipping.out()).as("a skipped invalid entry is not missing").doesNotContain("missing");
    assertThat(cards(topic).get("gpt-4o@1970-01-01T00:00:00Z").price("input")).isEqualByComparingTo("0.0000025");
  }

  @Test
  void shouldWriteNothingAndExitWithTheInvalidInputCodeForABadOverride() throws Exception {
    // Given August on the topic and overrides that discount a model no catalog has
    String topic = "pricing-bad-override";
    assertThat(load(AUG_RUN, topic, "--source", AUGUST).exitCode()).isZero();
    long before = endOffset(topic);
    Path overrides = Files.writeString(dir.resolve("bad-overrides.yaml"), """
        discounts:
          - provider: openai
            percent: 20
          - model: gpt-4o-typo
            percent: 30
        """);

    // When September is loaded with them
    Run run = load(SEP_RUN, topic, "--source", SEPTEMBER, "--overrides", overrides.toString());

    // Then the run exits 2 naming the entry, and nothing is written (not even September's changes)
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("bad-overrides.yaml: discounts[1]: unknown model 'gpt-4o-typo'");
    assertThat(endOffset(topic)).isEqualTo(before);
  }

  @Test
  void shouldPublishTheExampleOverrides() throws Exception {
    // Given an empty topic, the September catalog and the shipped example overrides
    String topic = "pricing-overrides";

    // When they are loaded
    Run run = load(SEP_RUN, topic, "--source", SEPTEMBER, "--overrides", SharedData.exampleOverrides().toString());

    // Then discounts, aliases and custom models are on the topic with their dates
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.figure("added")).isEqualTo(1468 + 3);
    Map<String, PriceCard> cards = cards(topic);
    PriceCard azure = cards.get("azure/gpt-4o-2024-08-06@1970-01-01T00:00:00Z");
    assertThat(azure.price("input")).isEqualByComparingTo("0.00000225");
    assertThat(azure.aliases()).containsExactly("prod-gpt4o-eastus", "prod-gpt4o-westeurope");
    assertThat(cards.get("gpt-4o-2024-08-06@1970-01-01T00:00:00Z").price("input")).isEqualByComparingTo("0.0000025");
    assertThat(cards.get("gpt-4o-2024-08-06@2025-10-01T00:00:00Z").price("input")).isEqualByComparingTo("0.00000175");
    assertThat(cards.get("gpt-4o@2025-10-01T00:00:00Z").price("input")).isEqualByComparingTo("0.000002");
    assertThat(cards).doesNotContainKey("gpt-4o-mini@2025-10-01T00:00:00Z");
    assertThat(cards.get("my-llama-3.1-70b@1970-01-01T00:00:00Z").aliases()).containsExactly("llama-70b");
    assertThat(cards.get("internal-embedder@2025-09-01T00:00:00Z").price("input")).isEqualByComparingTo("0.00000001");
    assertThat(cards).doesNotContainKey("internal-embedder@1970-01-01T00:00:00Z");

    // And a second run with the same overrides writes nothing
    Run again = load(SEP_RUN.plusSeconds(3600), topic, "--source", SEPTEMBER,
        "--overrides", SharedData.exampleOverrides().toString());
    assertThat(again.figure("written")).isZero();
  }

  @Test
  void shouldRetractModelsMissingFromTheSourceOnlyWithTheFlag() throws Exception {
    // Given September on the topic
    String topic = "pricing-retract";
    assertThat(load(SEP_RUN, topic, "--source", SEPTEMBER).exitCode()).isZero();

    // When the older August snapshot (without 269 of those models) is loaded, without and with the flag
    Run kept = load(SEP_RUN.plusSeconds(60), topic, "--source", AUGUST);
    Run retracted = load(SEP_RUN.plusSeconds(120), topic, "--source", AUGUST, "--retract-missing");

    // Then the models are first only reported, then tombstoned
    assertThat(kept.exitCode()).as(kept.err()).isZero();
    assertThat(kept.figure("missing")).isEqualTo(269);
    assertThat(kept.figure("retracted")).isZero();
    assertThat(kept.figure("changed")).isEqualTo(12);
    assertThat(kept.out()).contains("? gpt-5  not in the source any more; kept");
    assertThat(retracted.exitCode()).as(retracted.err()).isZero();
    assertThat(retracted.figure("retracted")).isEqualTo(269);
    assertThat(retracted.figure("written")).isEqualTo(269);
    assertThat(retracted.out()).contains("- gpt-5@1970-01-01T00:00:00Z  (retracted)");
    Map<String, PriceCard> cards = cards(topic);
    assertThat(cards).containsKey("gpt-5@1970-01-01T00:00:00Z");
    assertThat(cards.get("gpt-5@1970-01-01T00:00:00Z")).isNull();
    assertThat(cards.get("gpt-4o@1970-01-01T00:00:00Z")).isNotNull();
  }

  @Test
  void shouldCreateTheTopicCompactedAndRefuseATopicThatIsNot() throws Exception {
    // Given a topic that does not exist yet, and one created with cleanup.policy=delete
    String created = "pricing-created";
    String deleting = "pricing-delete-policy";
    admin.createTopics(List.of(new NewTopic(deleting, Optional.of(1), Optional.empty())
        .configs(Map.of("cleanup.policy", "delete")))).all().get();

    // When the loader runs against each
    Run first = load(AUG_RUN, created, "--source", AUGUST, "--partitions", "3");
    Run refused = load(AUG_RUN, deleting, "--source", AUGUST);

    // Then the missing topic is created compacted with 3 partitions and every card lands;
    // the delete-policy topic is refused with the Kafka exit code and stays empty
    assertThat(first.exitCode()).as(first.err()).isZero();
    TopicDescription d = admin.describeTopics(List.of(created)).allTopicNames().get().get(created);
    assertThat(d.partitions()).hasSize(3);
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, created);
    assertThat(admin.describeConfigs(List.of(resource)).all().get().get(resource).get("cleanup.policy").value())
        .isEqualTo("compact");
    assertThat(cards(created)).hasSize(1199);
    assertThat(refused.exitCode()).isEqualTo(3);
    assertThat(refused.err()).contains("cleanup.policy=delete").contains("refusing to write");
    assertThat(endOffset(deleting)).isZero();
  }

  @Test
  void shouldExitWithTheKafkaCodeWhenKafkaIsUnreachable() throws Exception {
    // Given a port nothing listens on
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new PricingLoader(Map.of(), Clock.systemUTC()));
    cli.setOut(new PrintWriter(new StringWriter(), true));
    cli.setErr(new PrintWriter(err, true));

    // When the loader runs against it
    int code = cli.execute("--source", AUGUST, "--bootstrap-servers", "127.0.0.1:" + port, "--timeout", "3");

    // Then it exits with the Kafka failure code, naming the operation
    assertThat(code).isEqualTo(3);
    assertThat(err.toString()).contains("Kafka failure").contains("describing topic llm-pricing");
  }

  @Test
  void shouldTakeKafkaSettingsFromTheEnvironmentAndMaskSecrets() throws Exception {
    // Given the topology's TOKENMETER_KAFKA_* variables, one of them a secret
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Map<String, String> env = Map.of(
        "TOKENMETER_KAFKA_CLIENT_DNS_LOOKUP", "use_all_dns_ips",
        "TOKENMETER_KAFKA_SSL_KEY_PASSWORD", "hunter2");
    CommandLine cli = new CommandLine(new PricingLoader(env, Clock.fixed(AUG_RUN, ZoneOffset.UTC)));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));

    // When the loader runs (dry) with them
    int code = cli.execute("--source", AUGUST, "--bootstrap-servers", cluster.bootstrapServers(),
        "--topic", "pricing-env", "--dry-run", "-X", "request.timeout.ms=20000");

    // Then they reach the clients, and the secret is never printed
    assertThat(code).as(err.toString()).isZero();
    assertThat(err.toString())
        .contains("kafka client.dns.lookup=use_all_dns_ips")
        .contains("kafka request.timeout.ms=20000")
        .contains("kafka ssl.key.password=****")
        .doesNotContain("hunter2");
    assertThat(out.toString()).contains("summary (dry run, nothing written):");
  }
}
