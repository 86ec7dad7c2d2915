package io.tokenmeter.genai;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Typed, forgiving reads of span attributes. Instrumentations disagree on types: Spring AI sends
 * every value as a string ({@code "812"}, {@code "[\"STOP\"]"}), others send ints or doubles.
 */
public final class SpanAttributes {
  /** No real token count comes near this; larger values are treated as garbage. */
  public static final long MAX_TOKENS = 1_000_000_000_000L;

  private final Map<String, AnyValue> values;

  private SpanAttributes(Map<String, AnyValue> values) {
    this.values = values;
  }

  public static SpanAttributes of(List<KeyValue> attributes) {
    Map<String, AnyValue> map = new HashMap<>(attributes.size() * 2);
    for (KeyValue kv : attributes) {
      map.putIfAbsent(kv.getKey(), kv.getValue());
    }
    return new SpanAttributes(map);
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  /** The first of the keys that is present, as text; null when none is. */
  public String string(String... keys) {
    for (String k : keys) {
      AnyValue v = values.get(k);
      if (v != null) {
        String s = asString(v);
        if (s != null && !s.isBlank()) {
          return s.trim();
        }
      }
    }
    return null;
  }

  /**
   * The first of the keys that holds a usable token count. Strings are parsed; doubles with a
   * fraction, negatives, NaN, infinities and absurd values are not usable (null).
   */
  public Long tokens(String... keys) {
    for (String k : keys) {
      AnyValue v = values.get(k);
      if (v != null) {
        Long n = asCount(v);
        if (n != null) {
          return n;
        }
      }
    }
    return null;
  }

  /** A string array, a single string, or Spring AI's JSON-ish {@code "[\"STOP\"]"}. */
  public List<String> strings(String... keys) {
    for (String k : keys) {
      AnyValue v = values.get(k);
      if (v == null) {
        continue;
      }
      List<String> out = new ArrayList<>();
      if (v.hasArrayValue()) {
        for (AnyValue e : v.getArrayValue().getValuesList()) {
          String s = asString(e);
          if (s != null && !s.isBlank()) {
            out.add(s);
          }
        }
      } else {
        String s = asString(v);
        if (s != null) {
          for (String part : s.replace("[", "").replace("]", "").split(",")) {
            String p = part.trim();
            if (p.length() >= 2 && (p.startsWith("\"") && p.endsWith("\"") || p.startsWith("'") && p.endsWith("'"))) {
              p = p.substring(1, p.length() - 1);
            }
            if (!p.isBlank()) {
              out.add(p);
            }
          }
        }
      }
      if (!out.isEmpty()) {
        return out;
      }
    }
    return List.of();
  }

  static String asString(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case INT_VALUE -> Long.toString(v.getIntValue());
      case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
      case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
      default -> null;
    };
  }

  static Long asCount(AnyValue v) {
    long n;
    switch (v.getValueCase()) {
      case INT_VALUE -> n = v.getIntValue();
      case DOUBLE_VALUE -> {
        double d = v.getDoubleValue();
        if (!Double.isFinite(d) || d != Math.rint(d) || Math.abs(d) > MAX_TOKENS) {
          return null;
        }
        n = (long) d;
      }
      case STRING_VALUE -> {
        String s = v.getStringValue().trim();
        try {
          n = Long.parseLong(s);
        } catch (NumberFormatException e) {
          try {
            double d = Double.parseDouble(s);
            if (!Double.isFinite(d) || d != Math.rint(d) || Math.abs(d) > MAX_TOKENS) {
              return null;
            }
            n = (long) d;
          } catch (NumberFormatException e2) {
            return null;
          }
        }
      }
      default -> {
        return null;
      }
    }
    return n < 0 || n > MAX_TOKENS ? null : n;
  }
}
