package io.tokenmeter.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.pricing.PriceCardCodec;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** JSON of the metric records, with decimals as exact strings (the price-card mapper's rules). */
public final class MetricsJson {
  public static final ObjectMapper MAPPER = PriceCardCodec.newMapper();

  private MetricsJson() {}

  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new SerializationException("cannot write " + value.getClass().getSimpleName(), e);
    }
  }

  /** Serde of partial aggregates between the pricing processor and the window aggregation. */
  public static Serde<MetricAggregate> aggregateSerde() {
    Serializer<MetricAggregate> ser = (topic, v) -> v == null ? null : AggregateCodec.write(v);
    Deserializer<MetricAggregate> de = (topic, bytes) -> {
      try {
        if (bytes != null && bytes.length > 0 && bytes[0] == AggregateCodec.VERSION) {
          return AggregateCodec.read(bytes);
        }
        return bytes == null ? null : MAPPER.readValue(bytes, MetricAggregate.class);
      } catch (IOException e) {
        throw new SerializationException("cannot read a metric aggregate", e);
      }
    };
    return org.apache.kafka.common.serialization.Serdes.serdeFrom(ser, de);
  }
}
