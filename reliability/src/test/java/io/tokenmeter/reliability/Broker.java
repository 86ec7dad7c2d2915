package io.tokenmeter.reliability;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real KRaft broker (combined broker and controller) in the test JVM, from Kafka's own
 * {@code KafkaClusterTestKit}, tuned for fault tests: consumer groups notice a killed member within
 * seconds, and the transaction coordinator aborts timed-out transactions every second (the
 * verifier's "no transaction left hanging" check waits for it).
 *
 * <p>{@link #shared()} is one plaintext broker for every scenario in this JVM (each scenario has its
 * own topics and application id); {@link SecuredBroker} is the SASL/SCRAM + TLS variant.
 */
class Broker implements AutoCloseable {
  private static Broker shared;

  protected final KafkaClusterTestKit cluster;

  protected Broker(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  /** The plaintext broker all plaintext scenarios of this JVM share; closed when the JVM exits. */
  static synchronized Broker shared() throws Exception {
    if (shared == null) {
      shared = start(new TestKitNodes.Builder(), Map.of());
      Broker b = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          b.close();
        } catch (Exception e) {
          // the JVM is exiting
        }
      }, "broker-shutdown"));
    }
    return shared;
  }

  /** Starts a one-node cluster with the fault-test settings plus {@code extra} broker settings. */
  static Broker start(TestKitNodes.Builder nodes, Map<String, String> extra) throws Exception {
    return new Broker(startCluster(nodes, extra));
  }

  static KafkaClusterTestKit startCluster(TestKitNodes.Builder nodes, Map<String, String> extra) throws Exception {
    KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(
        nodes.setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build());
    Map<String, String> props = new HashMap<>();
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("group.min.session.timeout.ms", "1000");
    props.put("auto.create.topics.enable", "false");
    // Time retention is checked every second (the suite's topics keep everything, see createTopics).
    props.put("log.retention.check.interval.ms", "1000");
    props.put("message.max.bytes", String.valueOf(40 * 1024 * 1024));
    props.put("replica.fetch.max.bytes", String.valueOf(40 * 1024 * 1024));
    props.putAll(extra);
    props.forEach(builder::setConfigProp);
    KafkaClusterTestKit cluster = builder.build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** Settings every client of the test (producer, verifier, admin) needs to reach this broker. */
  Map<String, Object> clientConfig() {
    Map<String, Object> c = new HashMap<>();
    c.put("bootstrap.servers", bootstrapServers());
    return c;
  }

  /**
   * The {@code TOKENMETER_KAFKA_*}-style client settings the application needs for this broker
   * (nothing for plaintext), as Kafka property names.
   */
  Map<String, String> appClientSettings() {
    return Map.of();
  }

  Admin admin() {
    return Admin.create(clientConfig());
  }

  Properties clientProperties() {
    Properties p = new Properties();
    p.putAll(clientConfig());
    return p;
  }

  /**
   * Creates the topics (delete policy unless listed in {@code compacted}); existing ones are kept.
   * Nothing expires by time: the suite's spans end in September 2025, and llm-metrics records carry
   * their window's start as timestamp, so a time retention would delete them before the verifier
   * reads them (see README, findings).
   */
  void createTopics(List<String> names, List<String> compacted, int partitions)
      throws ExecutionException, InterruptedException {
    try (Admin admin = admin()) {
      List<NewTopic> topics = new ArrayList<>();
      for (String name : names) {
        topics.add(new NewTopic(name, partitions, (short) 1).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG,
            compacted.contains(name) ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE,
            TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(40 * 1024 * 1024),
            TopicConfig.RETENTION_MS_CONFIG, "-1")));
      }
      try {
        admin.createTopics(topics).all().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
  }

  /** Sets one configuration of an existing topic. */
  void alterTopic(String topic, String key, String value) throws ExecutionException, InterruptedException {
    try (Admin admin = admin()) {
      admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic),
          List.of(new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET)))).all().get();
    }
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
