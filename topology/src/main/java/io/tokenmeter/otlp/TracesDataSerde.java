package io.tokenmeter.otlp;

import io.opentelemetry.proto.trace.v1.TracesData;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde of OTLP {@code TracesData}: reads protobuf or OTLP/JSON, always writes protobuf (what a
 * Collector {@code kafkareceiver} with {@code otlp_proto} reads). A record that cannot be decoded
 * throws {@link OtlpDecodeException}, which the deserialization exception handler dead-letters.
 */
public final class TracesDataSerde implements Serde<TracesData> {
  private final OtlpDecoder decoder;

  public TracesDataSerde(int maxRecordBytes) {
    this.decoder = new OtlpDecoder(maxRecordBytes);
  }

  @Override
  public Serializer<TracesData> serializer() {
    return (topic, data) -> data == null ? null : data.toByteArray();
  }

  @Override
  public Deserializer<TracesData> deserializer() {
    return (topic, bytes) -> decoder.decode(bytes);
  }
}
