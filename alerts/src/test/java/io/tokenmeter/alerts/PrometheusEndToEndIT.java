package io.tokenmeter.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.tokenmeter.app.StreamsApp;
import io.tokenmeter.app.TokenmeterConfig;
import io.tokenmeter.app.TopicSetup;
import io.tokenmeter.app.Topics;
import io.tokenmeter.demo.DemoCommand;
import io.tokenmeter.demo.EmbeddedKafka;
import io.tokenmeter.demo.KafkaSpanExporter;
import io.tokenmeter.demo.SampleTraffic;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.pricing.PriceCardCodec;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A real Prometheus server (Debian package) scrapes the running topology (embedded KRaft broker,
 * bundled prices, SDK-made sample traffic) with the shipped rules loaded. Prometheus itself parses
 * the exposition, so the metric names, types and labels checked here are what a real scrape sees;
 * and a chosen alert, LlmUnpricedModel, reaches {@code firing}. Its {@code for} is shortened from
 * 5m to 1s in a copy of the rules (nothing else changes) so the test takes seconds.
 */
class PrometheusEndToEndIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path prometheusBinary() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "prometheus"))) {
        return Path.of(dir, "prometheus");
      }
    }
    throw new AssertionError("prometheus is not on the PATH: install it with "
        + "`apt-get update && apt-get install -y prometheus` (bin/test does this)");
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static JsonNode api(int port, String pathAndQuery) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  @Test
  void shouldBeScrapedByPrometheusWithTheContractNamesAndFireAnAlert() throws Exception {
    Path work = Files.createTempDirectory("tokenmeter-prometheus-e2e");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      // Given the topology running on a real broker with the bundled prices
      Map<String, String> s = new HashMap<>();
      s.put(TokenmeterConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      s.put(TokenmeterConfig.HTTP_PORT, "0");
      s.put(TokenmeterConfig.HTTP_HOST, "127.0.0.1");
      s.put(TokenmeterConfig.STATE_DIR, work.resolve("state").toString());
      TokenmeterConfig config = TokenmeterConfig.load(Map.of(), Map.of(), s);
      Topics topics = Topics.from(config);
      Properties client = new Properties();
      client.put("bootstrap.servers", kafka.bootstrapServers());
      TopicSetup.createMissing(client, topics.all(), 1, (short) 1);
      client.put("key.serializer", StringSerializer.class.getName());
      client.put("value.serializer", ByteArraySerializer.class.getName());
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(client)) {
        for (PriceCard c : DemoCommand.bundledCards()) {
          producer.send(new ProducerRecord<>(topics.pricing().name(), c.key(), PriceCardCodec.toBytes(c)));
        }
      }
      try (StreamsApp app = new StreamsApp(config)) {
        app.start();
        assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();

        // and Prometheus scraping it every second with the shipped rules (LlmUnpricedModel's for: 1s)
        YAMLMapper yaml = new YAMLMapper();
        JsonNode rules = yaml.readTree(AlertsFiles.rules().toFile());
        int shortened = 0;
        for (JsonNode group : rules.get("groups")) {
          for (JsonNode rule : group.get("rules")) {
            if ("LlmUnpricedModel".equals(rule.path("alert").asText())) {
              ((ObjectNode) rule).set("for", new TextNode("1s"));
              shortened++;
            }
          }
        }
        assertThat(shortened).isEqualTo(1);
        yaml.writeValue(work.resolve("rules.yml").toFile(), rules);
        int promPort = freePort();
        Files.writeString(work.resolve("prometheus.yml"), """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [rules.yml]
            scrape_configs:
              - job_name: tokenmeter
                static_configs:
                  - targets: ['127.0.0.1:%d']
            """.formatted(app.httpPort()));
        Process prometheus = new ProcessBuilder(prometheusBinary().toString(),
            "--config.file=" + work.resolve("prometheus.yml"), "--storage.tsdb.path=" + work.resolve("tsdb"),
            "--web.listen-address=127.0.0.1:" + promPort)
            .redirectErrorStream(true).redirectOutput(work.resolve("prometheus.log").toFile()).start();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(client);
             SdkTracerProvider tracing = SdkTracerProvider.builder()
                 .setResource(Resource.create(Attributes.builder().put("service.name", "e2e-service").build()))
                 .addSpanProcessor(SimpleSpanProcessor.create(new KafkaSpanExporter(
                     (key, bytes) -> producer.send(new ProducerRecord<>(topics.input().name(), key, bytes)),
                     KafkaSpanExporter.Encoding.PROTOBUF)))
                 .build()) {
          // When sample traffic (every dialect, including an unpriced model) flows
          SampleTraffic traffic = new SampleTraffic(tracing.get("e2e"), 5);
          JsonNode firing = null;
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
          while (System.nanoTime() < deadline && firing == null) {
            for (int i = 0; i < 20; i++) {
              traffic.emitOne();
            }
            Thread.sleep(500);
            JsonNode alerts = apiOrNull(promPort, "/api/v1/alerts");
            if (alerts != null) {
              for (JsonNode a : alerts.path("data").path("alerts")) {
                if ("LlmUnpricedModel".equals(a.path("labels").path("alertname").asText())
                    && "firing".equals(a.path("state").asText())) {
                  firing = a;
                }
              }
            }
          }

          // Then the alert fires, naming the unpriced model
          assertThat(firing).as("LlmUnpricedModel firing; prometheus log in %s", work).isNotNull();
          assertThat(firing.path("labels").path("model").asText()).isEqualTo("acme-llm-7b");
          assertThat(firing.path("labels").path("severity").asText()).isNotBlank();

          // and Prometheus parsed the contract's names, types and labels from the scrape
          JsonNode metadata = api(promPort, "/api/v1/metadata").path("data");
          assertThat(type(metadata, "llm_requests_total")).isEqualTo("counter");
          assertThat(type(metadata, "llm_tokens_total")).isEqualTo("counter");
          assertThat(type(metadata, "llm_cost_usd_total")).isEqualTo("counter");
          assertThat(type(metadata, "llm_errors_total")).isEqualTo("counter");
          assertThat(type(metadata, "llm_unpriced_requests_total")).isEqualTo("counter");
          assertThat(type(metadata, "llm_request_duration_seconds")).isEqualTo("histogram");
          assertThat(type(metadata, "tokenmeter_records_in_total")).isEqualTo("counter");
          assertThat(type(metadata, "tokenmeter_price_cards_loaded")).isEqualTo("gauge");
          assertThat(type(metadata, "tokenmeter_streams_running")).isEqualTo("gauge");
          assertThat(labels(promPort, "llm_requests_total"))
              .containsAll(Set.of("service", "provider", "model", "operation", "feature", "outcome"));
          assertThat(labels(promPort, "llm_tokens_total")).contains("token_type");
          assertThat(labels(promPort, "llm_cost_usd_total")).contains("cost_type");
          assertThat(labels(promPort, "llm_errors_total")).contains("error_type");
          assertThat(values(promPort, "llm_tokens_total", "token_type"))
              .isSubsetOf("input", "output", "cache_read", "cache_write", "reasoning").contains("input", "output");
          assertThat(values(promPort, "llm_cost_usd_total", "cost_type"))
              .isSubsetOf("input", "output", "cache_read", "cache_write").contains("input", "output");
          assertThat(values(promPort, "llm_requests_total", "outcome"))
              .isSubsetOf("ok", "error", "truncated", "content_filter").contains("ok", "error");
          JsonNode up = api(promPort, "/api/v1/query?query=" + URLEncoder.encode("up{job=\"tokenmeter\"}", StandardCharsets.UTF_8));
          assertThat(up.path("data").path("result").get(0).path("value").get(1).asText()).isEqualTo("1");
        } finally {
          prometheus.destroy();
          prometheus.waitFor(20, TimeUnit.SECONDS);
        }
      }
    }
  }

  private static JsonNode apiOrNull(int port, String path) {
    try {
      return api(port, path);
    } catch (Exception e) {
      return null; // Prometheus still starting
    }
  }

  private static String type(JsonNode metadata, String metric) {
    String base = metric.endsWith("_total") ? metric.substring(0, metric.length() - "_total".length()) : metric;
    JsonNode m = metadata.has(metric) ? metadata.get(metric) : metadata.get(base);
    assertThat(m).as("metadata for %s (known: %s)", metric, metadata.fieldNames()).isNotNull();
    return m.get(0).path("type").asText();
  }

  private static Set<String> labels(int port, String metric) throws Exception {
    JsonNode series = api(port, "/api/v1/series?match[]=" + URLEncoder.encode(metric, StandardCharsets.UTF_8));
    Set<String> names = new HashSet<>();
    series.path("data").forEach(s -> s.fieldNames().forEachRemaining(names::add));
    return names;
  }

  private static Set<String> values(int port, String metric, String label) throws Exception {
    JsonNode series = api(port, "/api/v1/series?match[]=" + URLEncoder.encode(metric, StandardCharsets.UTF_8));
    Set<String> values = new HashSet<>();
    series.path("data").forEach(s -> values.add(s.path(label).asText()));
    return values;
  }
}
