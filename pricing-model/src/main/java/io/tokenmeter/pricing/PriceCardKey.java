package io.tokenmeter.pricing;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Keys of the compacted pricing topic: {@code <model>@<effective_from>}, for example
 * {@code gpt-4o-2024-08-06@2025-09-01T00:00:00Z}. Model names may themselves contain '@'
 * (Vertex AI's {@code claude-sonnet-4-5@20250929}), so the date is after the last '@'.
 */
public final class PriceCardKey {
  /** Fixed width, so that lexicographic order of keys of one model is chronological order. */
  public static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private PriceCardKey() {}

  public static String of(String model, Instant effectiveFrom) {
    return model + "@" + FORMAT.format(effectiveFrom);
  }

  public static String formatInstant(Instant instant) {
    return FORMAT.format(instant);
  }

  /** The model part of a key; throws IllegalArgumentException when the key has no valid date. */
  public static String model(String key) {
    int at = key.lastIndexOf('@');
    if (at <= 0) {
      throw new IllegalArgumentException("price card key '" + key + "' is not <model>@<effective_from>");
    }
    effectiveFrom(key);
    return key.substring(0, at);
  }

  public static Instant effectiveFrom(String key) {
    int at = key.lastIndexOf('@');
    if (at <= 0) {
      throw new IllegalArgumentException("price card key '" + key + "' is not <model>@<effective_from>");
    }
    try {
      return Instant.parse(key.substring(at + 1));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("price card key '" + key + "' has no ISO-8601 effective date", e);
    }
  }
}
