package io.tokenmeter.loader;

import io.tokenmeter.pricing.PriceCardCodec;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The pricing topic: checked (and created) compacted, read to its end with
 * {@code isolation.level=read_committed}, written in one transaction. Every Kafka problem becomes a
 * {@link LoaderException#KAFKA_FAILURE} naming the operation.
 */
final class PricingTopic implements AutoCloseable {
  private static final String CLIENT_ID = "tokenmeter-pricing-loader";
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

  private final Map<String, Object> clientConfig;
  private final String topic;
  private final Duration timeout;
  private final PrintWriter progress;
  private Admin admin;
  private KafkaProducer<byte[], byte[]> producer;

  PricingTopic(Map<String, Object> clientConfig, String topic, Duration timeout, PrintWriter progress) {
    this.clientConfig = Map.copyOf(clientConfig);
    this.topic = topic;
    this.timeout = timeout;
    this.progress = progress;
  }

  /**
   * Checks that the topic is compacted, creating it when it is missing and {@code create} is set.
   *
   * @return whether the topic exists now
   */
  boolean prepare(boolean create, int partitions, Optional<Short> replicationFactor) {
    if (!exists()) {
      if (!create) {
        progress.println("topic " + topic + " does not exist (a real run creates it with cleanup.policy=compact)");
        return false;
      }
      progress.println("creating topic " + topic + " (" + partitions + " partition(s), replication factor "
          + replicationFactor.map(String::valueOf).orElse("of the broker default") + ", cleanup.policy=compact)");
      NewTopic spec = new NewTopic(topic, Optional.of(partitions), replicationFactor)
          .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
      try {
        await("creating topic " + topic, admin().createTopics(List.of(spec)).all());
      } catch (LoaderException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config config = describeConfig(resource);
    ConfigEntry policy = config == null ? null : config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
    Set<String> policies = policy == null || policy.value() == null ? Set.of()
        : Arrays.stream(policy.value().split(",")).map(String::trim).collect(Collectors.toCollection(TreeSet::new));
    if (!policies.equals(Set.of(TopicConfig.CLEANUP_POLICY_COMPACT))) {
      throw LoaderException.kafka("topic " + topic + " has cleanup.policy="
          + (policy == null ? "(unknown)" : policy.value())
          + "; price cards need cleanup.policy=compact (with delete, old cards expire and spans lose their prices)"
          + "; refusing to write", null);
    }
    return true;
  }

  /**
   * The topic's configuration. A topic created a moment ago may not have reached the broker's
   * metadata yet (UNKNOWN_TOPIC_OR_PARTITION): retry that, within the timeout, instead of failing.
   */
  private Config describeConfig(ConfigResource resource) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        return await("reading the configuration of topic " + topic,
            admin().describeConfigs(List.of(resource)).all()).get(resource);
      } catch (LoaderException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw e;
        }
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw LoaderException.kafka("interrupted while waiting for topic " + topic, ie);
      }
    }
  }

  private boolean exists() {
    try {
      await("describing topic " + topic, admin().describeTopics(List.of(topic)).allTopicNames());
      return true;
    } catch (LoaderException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Starts the transactional producer. This also ends a transaction that an earlier run left open
   * under the same {@code transactional.id}, so that reading with read_committed does not wait on it.
   */
  void initTransactions(String transactionalId) {
    Map<String, Object> config = new HashMap<>(clientConfig);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, CLIENT_ID);
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    try {
      producer = new KafkaProducer<>(config);
      producer.initTransactions();
    } catch (KafkaException e) {
      throw LoaderException.kafka("starting the transactional producer (transactional.id=" + transactionalId + "): "
          + message(e), e);
    }
  }

  /** Reads the topic from the beginning to its current end (last committed record). */
  TopicState readToEnd() {
    Map<String, Object> config = new HashMap<>(clientConfig);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, CLIENT_ID + "-reader");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    TopicState state = new TopicState();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      Map<TopicPartition, Long> start = consumer.beginningOffsets(partitions, timeout);
      long expected = partitions.stream().mapToLong(p -> end.get(p) - start.get(p)).sum();
      progress.println("reading " + topic + " to its end (" + partitions.size() + " partition(s), at most "
          + expected + " records)");
      long lastProgress = System.nanoTime();
      long lastRecord = System.nanoTime();
      while (!atEnd(consumer, end)) {
        var records = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord<byte[], byte[]> r : records) {
          state.apply(r.key(), r.value());
        }
        long now = System.nanoTime();
        if (!records.isEmpty()) {
          lastRecord = now;
        } else if (now - lastRecord > timeout.toNanos()) {
          throw LoaderException.kafka("reading " + topic + ": no progress for " + timeout.toSeconds()
              + " s after " + state.records() + " of " + expected + " records", null);
        }
        if (now - lastProgress > PROGRESS_EVERY.toNanos()) {
          progress.println("  read " + state.records() + " of at most " + expected + " records");
          lastProgress = now;
        }
      }
    } catch (KafkaException e) {
      throw LoaderException.kafka("reading topic " + topic + ": " + message(e), e);
    }
    progress.println("read " + state.records() + " records: " + state.cardCount() + " live cards of "
        + state.models().size() + " models");
    state.ignored().forEach(i -> progress.println("  ignored on " + topic + ": " + i));
    return state;
  }

  private boolean atEnd(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey(), timeout) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** Writes every record in one transaction: all of them become visible, or none. */
  void write(List<PricingPlan.Write> writes) {
    progress.println("writing " + writes.size() + " records to " + topic + " in one transaction");
    try {
      producer.beginTransaction();
      for (PricingPlan.Write w : writes) {
        byte[] value = w.card() == null ? null : PriceCardCodec.toBytes(w.card());
        producer.send(new ProducerRecord<>(topic, w.key().getBytes(StandardCharsets.UTF_8), value));
      }
      commit();
    } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException e) {
      // The producer cannot abort after these; closing it lets the broker abort the transaction.
      throw LoaderException.kafka("writing to " + topic + " (nothing was committed): " + message(e), e);
    } catch (KafkaException e) {
      abort();
      throw LoaderException.kafka("writing to " + topic + " (transaction aborted, nothing was committed): "
          + message(e), e);
    }
  }

  /** Commits, retrying once after a timeout (documented as safe); a second timeout leaves the outcome open. */
  private void commit() {
    try {
      producer.commitTransaction();
    } catch (TimeoutException e) {
      progress.println("committing took longer than " + timeout.toSeconds() + " s; retrying once");
      try {
        producer.commitTransaction();
      } catch (TimeoutException again) {
        throw LoaderException.kafkaOutcomeUnknown("committing to " + topic + ": " + message(again)
            + "; the transaction may still complete: the next run compares with the topic and catches up", again);
      }
    }
  }

  private void abort() {
    try {
      producer.abortTransaction();
    } catch (KafkaException ignored) {
      // closing the producer lets the broker abort the transaction; nothing was committed either way
    }
  }

  private Admin admin() {
    if (admin == null) {
      Map<String, Object> config = new HashMap<>(clientConfig);
      config.put(AdminClientConfig.CLIENT_ID_CONFIG, CLIENT_ID + "-admin");
      try {
        admin = Admin.create(config);
      } catch (KafkaException e) {
        throw LoaderException.kafka("connecting to Kafka: " + message(e), e);
      }
    }
    return admin;
  }

  private <T> T await(String what, Future<T> future) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw LoaderException.kafka(what + ": " + message(cause), cause);
    } catch (java.util.concurrent.TimeoutException e) {
      throw LoaderException.kafka(what + ": no answer from Kafka within " + timeout.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw LoaderException.kafka(what + ": interrupted", e);
    }
  }

  /** The exception and its causes, one clause each: Kafka wraps the useful part (a ConfigException...). */
  private static String message(Throwable e) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = e; t != null && out.length() < 1000; t = t.getCause() == t ? null : t.getCause()) {
      String m = t.getMessage();
      out.append(out.length() == 0 ? "" : " <- ").append(t.getClass().getSimpleName())
          .append(m == null || m.isBlank() ? "" : ": " + m);
    }
    return out.toString();
  }

  @Override
  public void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
    if (admin != null) {
      admin.close(Duration.ZERO); // nothing it may still be retrying is worth waiting for
    }
  }
}
