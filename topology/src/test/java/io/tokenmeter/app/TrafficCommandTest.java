package io.tokenmeter.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.tokenmeter.genai.DialectNormalizer;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code tokenmeter traffic} speaks OTLP/HTTP as a Collector expects, and its spans are LLM calls tokenmeter recognises. */
class TrafficCommandTest {
  @Test
  void shouldPostOtlpProtobufThatTokenmeterRecognises() throws Exception {
    // Given an HTTP endpoint standing in for the Collector's OTLP/HTTP receiver
    List<ExportTraceServiceRequest> received = new CopyOnWriteArrayList<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v1/traces", ex -> {
      try (ex) {
        assertThat(ex.getRequestHeaders().getFirst("Content-Type")).isEqualTo("application/x-protobuf");
        received.add(ExportTraceServiceRequest.parseFrom(ex.getRequestBody().readAllBytes()));
        ex.sendResponseHeaders(200, -1);
      }
    });
    server.start();
    try {
      // When the traffic command runs for two seconds
      int exit = new CommandLine(new TokenmeterMain()).execute("traffic", "--otlp-endpoint",
          "http://127.0.0.1:" + server.getAddress().getPort(), "--rate", "50", "--duration", "2s");

      // Then it exits cleanly and the spans it sent decode as LLM calls in several dialects
      assertThat(exit).isZero();
      long llmCalls = 0;
      java.util.Set<String> dialects = new java.util.HashSet<>();
      for (ExportTraceServiceRequest req : received) {
        TracesData td = TracesData.parseFrom(req.toByteArray());
        for (ResourceSpans rs : td.getResourceSpansList()) {
          for (ScopeSpans ss : rs.getScopeSpansList()) {
            for (Span span : ss.getSpansList()) {
              var call = DialectNormalizer.normalize(span, "svc");
              if (call != null) {
                llmCalls++;
                dialects.add(call.dialect());
              }
            }
          }
        }
      }
      assertThat(llmCalls).isGreaterThan(50);
      assertThat(dialects).hasSizeGreaterThanOrEqualTo(4);
    } finally {
      server.stop(0);
    }
  }
}
