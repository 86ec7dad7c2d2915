package io.tokenmeter.app;

import io.tokenmeter.otlp.OtlpBatch;
import io.tokenmeter.otlp.OtlpBatchSerde;
import io.tokenmeter.pricing.UnpricedModel;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;

/** The topics of BRIEF section 4, named by configuration. */
public record Topics(
    TopicDescriptor<String, OtlpBatch> input,
    TopicDescriptor<String, byte[]> pricing,
    /** OTLP {@code TracesData} protobuf, as the Collector's kafka receiver reads it (otlp_proto). */
    TopicDescriptor<String, byte[]> enriched,
    TopicDescriptor<String, byte[]> docs,
    TopicDescriptor<String, byte[]> metrics,
    TopicDescriptor<byte[], byte[]> deadLetters,
    TopicDescriptor<String, UnpricedModel> unpriced) {

  private static final Map<String, String> DELETE = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
  private static final Map<String, String> COMPACT = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);

  public static Topics from(TokenmeterConfig config) {
    OtlpBatchSerde traces = new OtlpBatchSerde(config.getInt(TokenmeterConfig.MAX_RECORD_BYTES));
    return new Topics(
        new TopicDescriptor<>(config.getString(TokenmeterConfig.TOPIC_INPUT), Serdes.String(), traces, DELETE),
        new TopicDescriptor<>(config.getString(TokenmeterConfig.TOPIC_PRICING), Serdes.String(), Serdes.ByteArray(), COMPACT),
        new TopicDescriptor<>(config.getString(TokenmeterConfig.TOPIC_ENRICHED), Serdes.String(), Serdes.ByteArray(), DELETE),
        new TopicDescriptor<>(config.getString(TokenmeterConfig.TOPIC_DOCS), Serdes.String(), Serdes.ByteArray(), DELETE),
        new TopicDescriptor<>(config.getString(TokenmeterConfig.TOPIC_METRICS), Serdes.String(), Serdes.ByteArray(), DELETE),
        new TopicDescriptor<>(config.getString(TokenmeterConfig.TOPIC_DEAD_LETTERS), Serdes.ByteArray(), Serdes.ByteArray(), DELETE),
        new TopicDescriptor<>(config.getString(TokenmeterConfig.TOPIC_UNPRICED), Serdes.String(),
            new JsonSerde<>(UnpricedModel.class), COMPACT));
  }

  public List<TopicDescriptor<?, ?>> all() {
    return List.of(input, pricing, enriched, docs, metrics, deadLetters, unpriced);
  }
}
