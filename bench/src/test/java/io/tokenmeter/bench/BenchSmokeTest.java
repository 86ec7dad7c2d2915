package io.tokenmeter.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The harness works and produces numbers; nothing here measures or asserts a timing (the figures
 * come from bin/bench, never from tests).
 */
class BenchSmokeTest {

  @Test
  void shouldMakeRealisticRecordsWithTheSdk() throws Exception {
    // Given a small workload of 100-span records over 5 models
    Workload w = Workload.build(100, 5, TrafficMix.MAX_SERVICES, 300, 1);

    // Then every record is a 100-span OTLP TracesData with about 20 attributes per span
    assertThat(w.records).hasSize(3);
    assertThat(w.attributesPerSpan).isBetween(15.0, 25.0);
    assertThat(w.llmSpans).isPositive();
    TracesData td = TracesData.parseFrom(w.records.get(0).bytes());
    assertThat(spans(td)).hasSize(100);
    assertThat(td.getResourceSpansCount()).isGreaterThan(1);
  }

  @Test
  void shouldSendEveryCopyAsNewSpansAtTheNewTime() throws Exception {
    // Given a record template
    OtlpTemplate t = Workload.build(10, 5, 2, 10, 2).records.get(0);
    List<Span> original = spans(TracesData.parseFrom(t.bytes()));

    // When it is copied with a salt and a time shift
    byte[] copy = t.copy(0x1234_5678_9abc_def0L, 60_000_000_000L);
    List<Span> shifted = spans(TracesData.parseFrom(copy));

    // Then ids differ, parent links still hold, times moved by the shift, and the key is the new trace id
    assertThat(shifted).hasSameSizeAs(original);
    for (int i = 0; i < original.size(); i++) {
      assertThat(shifted.get(i).getSpanId()).isNotEqualTo(original.get(i).getSpanId());
      assertThat(shifted.get(i).getTraceId()).isNotEqualTo(original.get(i).getTraceId());
      assertThat(shifted.get(i).getEndTimeUnixNano()).isEqualTo(original.get(i).getEndTimeUnixNano() + 60_000_000_000L);
      assertThat(shifted.get(i).getAttributesList()).isEqualTo(original.get(i).getAttributesList());
    }
    List<com.google.protobuf.ByteString> ids = shifted.stream().map(Span::getSpanId).toList();
    shifted.stream().filter(s -> !s.getParentSpanId().isEmpty() && original.stream()
            .anyMatch(o -> o.getSpanId().equals(original.get(shifted.indexOf(s)).getParentSpanId())))
        .forEach(s -> assertThat(ids).contains(s.getParentSpanId()));
    assertThat(t.firstTraceIdHex(copy)).isEqualTo(
        java.util.HexFormat.of().formatHex(shifted.get(0).getTraceId().toByteArray()));
  }

  @Test
  void shouldPushRecordsThroughTheProductionProcessor() {
    // Given the pipeline harness with the production dedup store
    Workload w = Workload.build(100, 5, TrafficMix.MAX_SERVICES, 500, 3);
    try (PipelineHarness h = new PipelineHarness(true, Map.of())) {
      // When every record goes through, then the metric partials are flushed
      long bytes = 0;
      long now = System.currentTimeMillis();
      for (int i = 0; i < w.records.size(); i++) {
        bytes += h.process(w.keys.get(i), w.records.get(i).bytes(), now);
      }
      bytes += h.flushMetrics(now);

      // Then each record gave one enriched batch, some calls were unpriced, and series were counted
      assertThat(h.enrichedRecords()).isEqualTo(w.records.size());
      assertThat(h.unpricedRecords()).isPositive();
      assertThat(h.partialRecords()).isPositive();
      assertThat(h.series()).isPositive();
      assertThat(bytes).isPositive();
    }
  }

  @Test
  void shouldProduceJmhFigures() throws Exception {
    // Given the JMH benchmarks in this JVM, one very short iteration each
    Collection<RunResult> results = new Runner(new OptionsBuilder()
        .include(PipelineBenchmark.class.getName() + "\\.(ceiling|pipeline)$")
        .param("spansPerRecord", "100").param("models", "5")
        .forks(0).warmupIterations(0).measurementIterations(1).measurementTime(TimeValue.milliseconds(300))
        .shouldFailOnError(true)
        .build()).run();

    // Then both report a positive spans/s score
    assertThat(results).hasSize(2);
    assertThat(results).allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive());
  }

  private static List<Span> spans(TracesData td) {
    List<Span> out = new ArrayList<>();
    td.getResourceSpansList().forEach(rs -> rs.getScopeSpansList().forEach(ss -> out.addAll(ss.getSpansList())));
    return out;
  }
}
