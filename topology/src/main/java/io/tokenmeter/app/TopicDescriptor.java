package io.tokenmeter.app;

import java.util.Map;
import org.apache.kafka.common.serialization.Serde;

/**
 * A topic as the topology uses it: its name, serdes and the topic configuration it needs when
 * created (Creek's topic descriptors). Immutable; built once from configuration and injected.
 */
public record TopicDescriptor<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, Map<String, String> config) {
  public TopicDescriptor {
    config = Map.copyOf(config);
  }
}
