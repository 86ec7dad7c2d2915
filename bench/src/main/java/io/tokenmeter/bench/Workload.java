package io.tokenmeter.bench;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tokenmeter.demo.DemoCommand;
import io.tokenmeter.demo.KafkaSpanExporter;
import io.tokenmeter.pricing.ModelResolver;
import io.tokenmeter.pricing.PriceBook;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.pricing.PriceKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Pre-made input records: OTLP {@code TracesData} protobuf made by the OpenTelemetry SDK's own
 * marshaler from {@link TrafficMix} spans, {@code spansPerRecord} spans each (a request's spans
 * may straddle two records, as with the Collector's batch processor), keyed by the trace id of the
 * record's first span.
 */
public final class Workload {
  /** Models the busiest fleets use most: they come first in every model list. */
  private static final List<String> CORE = List.of(
      "gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet-20241022", "gemini-2.5-pro", "o3-mini", "gpt-4.1",
      "claude-sonnet-4-20250514", "gpt-4o-2024-08-06", "claude-3-5-haiku-20241022", "gemini-2.0-flash");

  public final int spansPerRecord;
  public final int models;
  public final List<OtlpTemplate> records;
  public final List<String> keys;
  public final int totalSpans;
  public final int llmSpans;
  public final double attributesPerSpan;
  public final double bytesPerRecord;

  private Workload(int spansPerRecord, int models, List<OtlpTemplate> records, List<String> keys, int totalSpans,
      int llmSpans, double attributesPerSpan) {
    this.spansPerRecord = spansPerRecord;
    this.models = models;
    this.records = records;
    this.keys = keys;
    this.totalSpans = totalSpans;
    this.llmSpans = llmSpans;
    this.attributesPerSpan = attributesPerSpan;
    this.bytesPerRecord = records.stream().mapToInt(r -> r.bytes().length).average().orElse(0);
  }

  /** At least {@code minSpans} spans in records of {@code spansPerRecord}, calls spread over {@code models} models. */
  public static Workload build(int spansPerRecord, int models, int services, int minSpans, long seed) {
    List<TrafficMix.Model> pool = models(models);
    int recordCount = Math.max(1, (minSpans + spansPerRecord - 1) / spansPerRecord);
    List<SpanData> spans = new ArrayList<>(recordCount * spansPerRecord + 64);
    try (TrafficMix mix = new TrafficMix(seed, pool, services, Instant.now().minusSeconds(60))) {
      while (spans.size() < recordCount * spansPerRecord) {
        spans.addAll(mix.nextRequest());
      }
    }
    List<OtlpTemplate> records = new ArrayList<>(recordCount);
    List<String> keys = new ArrayList<>(recordCount);
    int llm = 0;
    long attributes = 0;
    for (int r = 0; r < recordCount; r++) {
      List<SpanData> chunk = spans.subList(r * spansPerRecord, (r + 1) * spansPerRecord);
      for (SpanData s : chunk) {
        attributes += s.getAttributes().size();
        if (s.getKind() == SpanKind.CLIENT && s.getName().indexOf("SELECT") < 0) {
          llm++;
        }
      }
      OtlpTemplate t = new OtlpTemplate(KafkaSpanExporter.encode(chunk, KafkaSpanExporter.Encoding.PROTOBUF));
      if (t.spans() != spansPerRecord) {
        throw new IllegalStateException("record holds " + t.spans() + " spans, expected " + spansPerRecord);
      }
      records.add(t);
      keys.add(chunk.get(0).getTraceId());
    }
    int total = recordCount * spansPerRecord;
    return new Workload(spansPerRecord, models, records, keys, total, llm, (double) attributes / total);
  }

  /**
   * {@code n} models of the bundled LiteLLM snapshot, named the way spans name them, each one
   * resolving to a priced chat card: the core models first, then the catalog in key order.
   */
  public static List<TrafficMix.Model> models(int n) {
    List<PriceCard> cards = bundledCards();
    PriceBook book = new PriceBook();
    cards.forEach(c -> book.put(c, 0));
    ModelResolver resolver = new ModelResolver(book);
    Set<String> chosen = new LinkedHashSet<>();
    List<TrafficMix.Model> out = new ArrayList<>();
    List<PriceCard> ordered = new ArrayList<>();
    for (String core : CORE) {
      cards.stream().filter(c -> c.model().equals(core)).findFirst().ifPresent(ordered::add);
    }
    cards.stream().filter(c -> !CORE.contains(c.model())).sorted(Comparator.comparing(PriceCard::model))
        .forEach(ordered::add);
    for (PriceCard c : ordered) {
      if (out.size() == n) {
        break;
      }
      if (!"chat".equals(c.mode()) || c.price(PriceKind.INPUT) == null || c.price(PriceKind.OUTPUT) == null) {
        continue;
      }
      TrafficMix.Model m = spanName(c);
      ModelResolver.Resolution r = resolver.resolve(io.tokenmeter.genai.Providers.canonical(m.provider()), m.name());
      if (r.resolved() && chosen.add(r.model())) {
        out.add(m);
      }
    }
    if (out.size() < n) {
      throw new IllegalArgumentException("the bundled snapshot has only " + out.size() + " priced chat models");
    }
    return out;
  }

  /** How an instrumentation names a catalog model: LiteLLM's provider prefix is not on spans. */
  private static TrafficMix.Model spanName(PriceCard c) {
    String provider = c.provider() == null ? "openai" : c.provider();
    String name = c.model();
    int slash = name.indexOf('/');
    if (slash > 0 && name.indexOf('/', slash + 1) < 0) {
      name = name.substring(slash + 1);
    }
    return new TrafficMix.Model(provider, name);
  }

  public static List<PriceCard> bundledCards() {
    try {
      return DemoCommand.bundledCards();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
