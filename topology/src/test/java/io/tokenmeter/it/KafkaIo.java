package io.tokenmeter.it;

import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Plain Kafka clients for integration tests: a producer of test input and a read_committed verifier. */
final class KafkaIo {
  private KafkaIo() {}

  static KafkaProducer<String, byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return new KafkaProducer<>(p);
  }

  static void send(String bootstrap, String topic, List<ProducerRecord<String, byte[]>> records) {
    try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
      for (ProducerRecord<String, byte[]> r : records) {
        producer.send(new ProducerRecord<>(topic, r.key(), r.value()));
      }
      producer.flush();
    }
  }

  /**
   * Reads a topic from the beginning with {@code read_committed} until {@code done} holds for
   * what was read, or the timeout passes; returns everything read.
   */
  static List<ConsumerRecord<byte[], byte[]>> readCommitted(String bootstrap, String topic,
      Predicate<List<ConsumerRecord<byte[], byte[]>>> done, Duration timeout) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "verifier-" + UUID.randomUUID());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of(topic));
      while (System.nanoTime() < deadline && !done.test(all)) {
        consumer.poll(Duration.ofMillis(250)).forEach(all::add);
      }
    }
    return all;
  }

  static List<Span> spans(List<ConsumerRecord<byte[], byte[]>> records) {
    List<Span> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      try {
        for (ResourceSpans rs : TracesData.parseFrom(r.value()).getResourceSpansList()) {
          for (ScopeSpans ss : rs.getScopeSpansList()) {
            out.addAll(ss.getSpansList());
          }
        }
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError("enriched record at offset " + r.offset() + " is not TracesData", e);
      }
    }
    return out;
  }

  static int spanCount(List<ConsumerRecord<byte[], byte[]>> records) {
    return spans(records).size();
  }
}
