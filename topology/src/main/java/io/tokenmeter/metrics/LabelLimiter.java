package io.tokenmeter.metrics;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds the values each label may take, so that a flood of distinct model names or error types
 * cannot exhaust Prometheus or the aggregation store: the first {@code maxValues} values of a
 * label are kept, later ones become {@value #OTHER}, and each fold is counted.
 */
public final class LabelLimiter {
  public static final String OTHER = "_other";

  private final int maxValues;
  private final HealthMetrics health;
  private final Map<String, Set<String>> seen = new ConcurrentHashMap<>();

  public LabelLimiter(int maxValues, HealthMetrics health) {
    this.maxValues = maxValues;
    this.health = health;
  }

  public String limit(String label, String value) {
    if (value == null) {
      return "";
    }
    Set<String> values = seen.computeIfAbsent(label, l -> ConcurrentHashMap.newKeySet());
    if (values.contains(value)) {
      return value;
    }
    synchronized (values) {
      if (values.size() < maxValues) {
        values.add(value);
        return value;
      }
    }
    health.seriesOverflow(label);
    return OTHER;
  }
}
