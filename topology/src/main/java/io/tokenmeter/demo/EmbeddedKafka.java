package io.tokenmeter.demo;

import java.nio.file.Path;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real single-node KRaft cluster (combined broker and controller) inside this JVM, from Kafka's
 * own {@code KafkaClusterTestKit}: the demo's default, and the broker of the integration tests.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private final KafkaClusterTestKit cluster;

  private EmbeddedKafka(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  public static EmbeddedKafka start() throws Exception {
    return start(null);
  }

  /** Starts a one-node cluster; {@code baseDir} null means a temporary directory deleted on close. */
  public static EmbeddedKafka start(Path baseDir) throws Exception {
    TestKitNodes.Builder nodes = new TestKitNodes.Builder()
        .setCombined(true)
        .setNumBrokerNodes(1)
        .setNumControllerNodes(1);
    if (baseDir != null) {
      nodes.setBaseDirectory(baseDir);
    }
    KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes.build())
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .setConfigProp("num.partitions", "2")
        .setConfigProp("auto.create.topics.enable", "false")
        .setConfigProp("message.max.bytes", String.valueOf(32 * 1024 * 1024))
        .build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return new EmbeddedKafka(cluster);
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  public KafkaClusterTestKit cluster() {
    return cluster;
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
