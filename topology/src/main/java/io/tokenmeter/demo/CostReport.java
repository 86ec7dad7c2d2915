package io.tokenmeter.demo;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.tokenmeter.pricing.CostAttributes;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cost and tokens per model, summed from the enriched spans as a consumer of
 * {@code llm-spans-enriched} sees them: what the demo prints.
 */
public final class CostReport {
  /** One row of the report. */
  public static final class Row {
    long calls;
    long inputTokens;
    long outputTokens;
    BigDecimal costUsd = BigDecimal.ZERO;
    long unpriced;
    long noUsage;

    public long calls() {
      return calls;
    }

    public BigDecimal costUsd() {
      return costUsd;
    }
  }

  private final Map<String, Row> rows = new TreeMap<>();
  private long spans;

  public synchronized void add(TracesData data) {
    for (ResourceSpans rs : data.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span s : ss.getSpansList()) {
          spans++;
          String status = null;
          String model = null;
          String provider = null;
          double cost = 0;
          long in = 0;
          long out = 0;
          for (KeyValue kv : s.getAttributesList()) {
            AnyValue v = kv.getValue();
            switch (kv.getKey()) {
              case CostAttributes.STATUS -> status = v.getStringValue();
              case CostAttributes.MODEL_RESOLVED -> model = v.getStringValue();
              case CostAttributes.PROVIDER -> provider = v.getStringValue();
              case CostAttributes.TOTAL_USD -> cost = v.getDoubleValue();
              case CostAttributes.USAGE_INPUT -> in = count(v);
              case CostAttributes.USAGE_OUTPUT -> out = count(v);
              case "gen_ai.request.model" -> model = model == null ? v.getStringValue() : model;
              default -> { }
            }
          }
          if (status == null) {
            continue;
          }
          String key = (provider == null ? "?" : provider) + " / " + (model == null ? "?" : model);
          Row r = rows.computeIfAbsent(key, k -> new Row());
          r.calls++;
          r.inputTokens += in;
          r.outputTokens += out;
          r.costUsd = r.costUsd.add(BigDecimal.valueOf(cost));
          if (status.equals("unpriced")) {
            r.unpriced++;
          } else if (status.equals("no_usage")) {
            r.noUsage++;
          }
        }
      }
    }
  }

  public synchronized Map<String, Row> rows() {
    return Map.copyOf(rows);
  }

  public synchronized void print(PrintStream out) {
    out.printf(Locale.ROOT, "%n%-58s %7s %9s %8s %12s %12s %12s%n", "provider / model (resolved)", "calls", "unpriced",
        "no usage", "input tok", "output tok", "cost USD");
    BigDecimal total = BigDecimal.ZERO;
    long calls = 0;
    for (Map.Entry<String, Row> e : rows.entrySet()) {
      Row r = e.getValue();
      out.printf(Locale.ROOT, "%-58s %7d %9d %8d %12d %12d %12.6f%n", truncate(e.getKey()), r.calls, r.unpriced,
          r.noUsage, r.inputTokens, r.outputTokens, r.costUsd);
      total = total.add(r.costUsd);
      calls += r.calls;
    }
    out.printf(Locale.ROOT, "%-58s %7d %9s %8s %12s %12s %12.6f%n", "TOTAL (" + spans + " spans enriched)", calls, "", "",
        "", "", total);
  }

  /** Tokens as int, or as the string some instrumentations (Spring AI) write. */
  private static long count(AnyValue v) {
    if (v.hasIntValue()) {
      return v.getIntValue();
    }
    try {
      return v.hasStringValue() ? Long.parseLong(v.getStringValue().trim()) : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String truncate(String s) {
    return s.length() <= 58 ? s : s.substring(0, 55) + "...";
  }
}
