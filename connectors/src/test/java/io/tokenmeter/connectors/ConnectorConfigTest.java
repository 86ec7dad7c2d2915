package io.tokenmeter.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.sink.ContentRedactor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Connector configs name only keys their connector (and Kafka Connect itself) documents. */
class ConnectorConfigTest {

    private static final Set<String> CONNECT = Assets.knownKeys("kafka-connect-sink-framework.txt");

    private static Map<String, String> config(JsonNode config) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = config.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static List<String> unknownKeys(Map<String, String> config, Set<String> connectorKeys) {
        List<String> unknown = new ArrayList<>();
        for (String key : config.keySet()) {
            if (!Assets.isKnown(connectorKeys, key) && !Assets.isKnown(CONNECT, key)) {
                unknown.add(key);
            }
        }
        return unknown;
    }

    @Test
    void shouldUseOnlyKeysTheAivenOpenSearchConnectorKnowsInBothForms() {
        // Given the Connect REST JSON and the Strimzi KafkaConnector
        Set<String> aiven = Assets.knownKeys("aiven-opensearch-sink-4.0.1.txt");
        Map<String, String> rest = config(Assets.json("opensearch/aiven-opensearch-sink.json").get("config"));
        JsonNode strimzi = Assets.yaml("opensearch/strimzi-kafkaconnector-opensearch.yaml");
        Map<String, String> crConfig = config(strimzi.at("/spec/config"));

        // Then every key is known
        assertThat(unknownKeys(rest, aiven)).isEmpty();
        assertThat(unknownKeys(crConfig, aiven)).isEmpty();
        assertThat(Assets.unknownSettings(strimzi.get("spec"), "", Assets.knownKeys("strimzi-kafkaconnector-spec.txt"))).isEmpty();
        // And both forms say the same, apart from how credentials are referenced and what the CR has outside config
        assertThat(strimzi.at("/spec/class").asText()).isEqualTo(rest.get("connector.class"));
        assertThat(strimzi.at("/spec/tasksMax").asText()).isEqualTo(rest.get("tasks.max"));
        Map<String, String> restWithoutCredentials = new LinkedHashMap<>(rest);
        restWithoutCredentials.keySet().removeAll(List.of("connector.class", "tasks.max", "connection.username", "connection.password"));
        crConfig.keySet().removeAll(List.of("connection.username", "connection.password"));
        assertThat(crConfig).isEqualTo(restWithoutCredentials);
        // And the documents go to the data stream whose template maps them, keyed by document id
        assertThat(rest).containsEntry("topics", "llm-span-docs")
                .containsEntry("key.ignore", "false")
                .containsEntry("data.stream.enabled", "true")
                .containsEntry("transforms.toDataStream.replacement", "otel-v1-apm-span-tokenmeter")
                .containsEntry("data.streams.existing.index.template.name", "tokenmeter-span-stream");
        assertThat(Assets.json("opensearch/index-template-tokenmeter-span-stream.json").at("/index_patterns/0").asText())
                .isEqualTo("otel-v1-apm-span-tokenmeter*");
    }

    @Test
    void shouldUseOnlyKeysTheConfluentElasticsearchConnectorKnows() {
        // Given the Connect REST JSON
        Map<String, String> rest = config(Assets.json("elasticsearch/confluent-elasticsearch-sink.json").get("config"));

        // Then every key is known, and it writes to an existing data stream with create (no upserts)
        assertThat(unknownKeys(rest, Assets.knownKeys("confluent-elasticsearch-sink-15.1.3.txt"))).isEmpty();
        assertThat(rest).containsEntry("external.resource.usage", "DATASTREAM")
                .containsEntry("write.method", "insert")
                .containsEntry("data.stream.timestamp.field", "@timestamp")
                .doesNotContainKeys("data.stream.type", "data.stream.dataset");
    }

    @Test
    void shouldUseOnlySettingsDataPrepperKnows() {
        // Given the Data Prepper pipeline
        JsonNode pipelines = Assets.yaml("opensearch/data-prepper-pipelines.yaml");
        JsonNode pipeline = pipelines.get("tokenmeter-span-docs");

        // Then the kafka source and opensearch sink settings are known, and the sink writes trace-analytics-raw
        assertThat(Assets.unknownSettings(pipeline.at("/source/kafka"), "", Assets.knownKeys("data-prepper-kafka-source.txt"))).isEmpty();
        JsonNode sink = pipeline.get("sink").get(0).get("opensearch");
        assertThat(Assets.unknownSettings(sink, "", Assets.knownKeys("data-prepper-opensearch-sink.txt"))).isEmpty();
        assertThat(sink.get("index_type").asText()).isEqualTo("trace-analytics-raw");
        assertThat(sink.get("template_type").asText()).isEqualTo("index-template");
        assertThat(pipeline.at("/source/kafka/topics/0/name").asText()).isEqualTo("llm-span-docs");
        assertThat(pipeline.at("/source/kafka/topics/0/serde_format").asText()).isEqualTo("json");
    }

    @Test
    void shouldUseOnlySettingsTheCollectorComponentsKnow() {
        // Given both Collector configs
        Set<String> known = Assets.knownKeys("otelcol-components.txt");
        List<String> unknown = new ArrayList<>();
        for (String file : List.of("collector/otelcol-kafka-to-backends.yaml", "collector/otelcol-upstream-kafka-exporter.yaml")) {
            JsonNode root = Assets.yaml(file);
            for (String section : List.of("receivers", "processors", "exporters")) {
                for (Iterator<Map.Entry<String, JsonNode>> it = root.path(section).fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> component = it.next();
                    String type = section.substring(0, section.length() - 1) + "." + component.getKey().split("/")[0];
                    Set<String> componentKeys = new java.util.LinkedHashSet<>();
                    known.stream().filter(k -> k.startsWith(type + ":")).forEach(k -> componentKeys.add(k.substring(type.length() + 1)));
                    assertThat(componentKeys).as("known settings for " + type).isNotEmpty();
                    Assets.unknownSettings(component.getValue(), "", componentKeys)
                            .forEach(s -> unknown.add(file + ": " + component.getKey() + "." + s));
                }
            }
            // And every pipeline uses only components that are defined
            for (JsonNode pipeline : root.at("/service/pipelines")) {
                for (String section : List.of("receivers", "processors", "exporters")) {
                    for (JsonNode name : pipeline.path(section)) {
                        assertThat(root.path(section).has(name.asText())).as(file + " defines " + name).isTrue();
                    }
                }
            }
        }

        // Then none is unknown
        assertThat(unknown).isEmpty();
    }

    @Test
    void shouldFeedTokenmeterTraceKeyedOtlpProtobuf() {
        // Given the upstream Collector snippet
        JsonNode kafka = Assets.yaml("collector/otelcol-upstream-kafka-exporter.yaml").at("/exporters/kafka");

        // Then it writes otlp_spans as OTLP protobuf keyed by trace id (tokenmeter's duplicate detection relies on it)
        assertThat(kafka.at("/traces/topic").asText()).isEqualTo("otlp_spans");
        assertThat(kafka.at("/traces/encoding").asText()).isEqualTo("otlp_proto");
        assertThat(kafka.get("partition_traces_by_id").asBoolean()).isTrue();
        // And the downstream Collector reads llm-spans-enriched as OTLP protobuf
        JsonNode receiver = Assets.yaml("collector/otelcol-kafka-to-backends.yaml").at("/receivers/kafka");
        assertThat(receiver.at("/traces/topics/0").asText()).isEqualTo("llm-spans-enriched");
        assertThat(receiver.at("/traces/encoding").asText()).isEqualTo("otlp_proto");
    }

    @Test
    void shouldDropInTheCollectorTheSameContentKeysAsTheSink() {
        // Given the span-level delete_matching_keys pattern of the downstream Collector
        String statement = Assets.yaml("collector/otelcol-kafka-to-backends.yaml")
                .at("/processors/transform~1drop_llm_content/trace_statements/0/statements/0").asText();
        Matcher m = Pattern.compile("delete_matching_keys\\(attributes, \"(.*)\"\\)").matcher(statement);
        assertThat(m.matches()).as(statement).isTrue();
        Pattern collectorPattern = Pattern.compile(m.group(1).replace("\\\\", "\\"));

        // When the sink's content keys (with '*' made concrete) are tried, and some metadata keys
        for (String glob : ContentRedactor.CONTENT_ATTRIBUTES) {
            String key = glob.replace("*", ".0.content");
            // Then each content key is deleted
            assertThat(collectorPattern.matcher(key).matches()).as(key).isTrue();
        }
        for (String keep : List.of("gen_ai.usage.input_tokens", "gen_ai.request.model", "gen_ai.cost.total_usd", "input.mime_type")) {
            assertThat(collectorPattern.matcher(keep).matches()).as(keep).isFalse();
        }
    }
}
