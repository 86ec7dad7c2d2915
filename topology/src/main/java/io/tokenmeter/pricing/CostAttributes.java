package io.tokenmeter.pricing;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.tokenmeter.genai.LlmCall;
import java.math.BigDecimal;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes the result of pricing onto the span (BRIEF section 7). Canonical {@code gen_ai.usage.*}
 * attributes are added only where the span has none of that name; attributes the source wrote are
 * never changed. The one exception is the {@code gen_ai.cost.} namespace, which tokenmeter owns: a
 * cost an application computed in-process is moved to {@code tokenmeter.original.gen_ai.cost.*},
 * so dashboards never sum two different numbers under one name.
 */
public final class CostAttributes {
  public static final String PREFIX = "gen_ai.cost.";
  public static final String TOTAL_USD = "gen_ai.cost.total_usd";
  public static final String INPUT_USD = "gen_ai.cost.input_usd";
  public static final String OUTPUT_USD = "gen_ai.cost.output_usd";
  public static final String CACHE_READ_USD = "gen_ai.cost.cache_read_usd";
  public static final String CACHE_WRITE_USD = "gen_ai.cost.cache_write_usd";
  public static final String PROVIDER = "gen_ai.cost.provider";
  public static final String MODEL_RESOLVED = "gen_ai.cost.model_resolved";
  public static final String MATCH = "gen_ai.cost.match";
  public static final String PRICE_EFFECTIVE_FROM = "gen_ai.cost.price_effective_from";
  public static final String STATUS = "gen_ai.cost.status";
  public static final String ORIGINAL_PREFIX = "tokenmeter.original.";

  public static final String USAGE_INPUT = "gen_ai.usage.input_tokens";
  public static final String USAGE_OUTPUT = "gen_ai.usage.output_tokens";
  public static final String USAGE_CACHE_READ = "gen_ai.usage.cache_read.input_tokens";
  public static final String USAGE_CACHE_WRITE = "gen_ai.usage.cache_creation.input_tokens";
  public static final String USAGE_REASONING = "gen_ai.usage.reasoning.output_tokens";

  private CostAttributes() {}

  public static Span enrich(Span span, PricedCall priced) {
    List<KeyValue> source = span.getAttributesList();
    Set<String> present = new HashSet<>(source.size() * 2);
    boolean ownsCost = false;
    for (KeyValue kv : source) {
      present.add(kv.getKey());
      ownsCost |= kv.getKey().startsWith(PREFIX);
    }
    Span.Builder b = span.toBuilder();
    if (ownsCost) {
      b.clearAttributes();
      for (KeyValue kv : source) {
        b.addAttributes(kv.getKey().startsWith(PREFIX)
            ? kv.toBuilder().setKey(ORIGINAL_PREFIX + kv.getKey()).build() : kv);
      }
    }

    LlmCall call = priced.call();
    if (call.hasUsage()) {
      addIfAbsent(b, present, USAGE_INPUT, call.inputTokens());
      addIfAbsent(b, present, USAGE_OUTPUT, call.outputTokens());
      if (call.cacheReadTokens() > 0) {
        addIfAbsent(b, present, USAGE_CACHE_READ, call.cacheReadTokens());
      }
      if (call.cacheWriteTokens() > 0) {
        addIfAbsent(b, present, USAGE_CACHE_WRITE, call.cacheWriteTokens());
      }
      if (call.reasoningTokens() > 0) {
        addIfAbsent(b, present, USAGE_REASONING, call.reasoningTokens());
      }
    }

    b.addAttributes(string(STATUS, priced.status().label()));
    String provider = priced.provider();
    if (provider != null) {
      b.addAttributes(string(PROVIDER, provider));
    }
    b.addAttributes(string(MATCH, priced.resolution().match()));
    if (priced.resolution().resolved()) {
      b.addAttributes(string(MODEL_RESOLVED, priced.resolution().model()));
    }
    if (priced.status() == PricedCall.Status.PRICED) {
      Cost c = priced.cost();
      b.addAttributes(dbl(TOTAL_USD, c.total()));
      b.addAttributes(dbl(INPUT_USD, c.input()));
      b.addAttributes(dbl(OUTPUT_USD, c.output()));
      b.addAttributes(dbl(CACHE_READ_USD, c.cacheRead()));
      b.addAttributes(dbl(CACHE_WRITE_USD, c.cacheWrite()));
      b.addAttributes(string(PRICE_EFFECTIVE_FROM, PriceCardKey.formatInstant(priced.card().effectiveFrom())));
    }
    return b.build();
  }

  private static void addIfAbsent(Span.Builder b, Set<String> present, String key, long value) {
    if (!present.contains(key)) {
      b.addAttributes(KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)));
    }
  }

  private static KeyValue string(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  private static KeyValue dbl(String key, BigDecimal value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setDoubleValue(value.doubleValue())).build();
  }
}
