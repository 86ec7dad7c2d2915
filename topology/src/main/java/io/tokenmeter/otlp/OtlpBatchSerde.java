package io.tokenmeter.otlp;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde of {@code otlp_spans} records: reads protobuf or OTLP/JSON into an {@link OtlpBatch}
 * (validated, indexed, decoded only where needed), writes protobuf. A record that cannot be
 * decoded throws {@link OtlpDecodeException}, which the deserialization exception handler
 * dead-letters.
 */
public final class OtlpBatchSerde implements Serde<OtlpBatch> {
  private final int maxRecordBytes;

  public OtlpBatchSerde(int maxRecordBytes) {
    this.maxRecordBytes = maxRecordBytes;
  }

  @Override
  public Serializer<OtlpBatch> serializer() {
    return (topic, batch) -> batch == null ? null : batch.bytes();
  }

  @Override
  public Deserializer<OtlpBatch> deserializer() {
    return (topic, bytes) -> OtlpBatch.decode(bytes, maxRecordBytes);
  }
}
