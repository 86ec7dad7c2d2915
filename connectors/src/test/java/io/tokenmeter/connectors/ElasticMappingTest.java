package io.tokenmeter.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.sink.SinkFormat;
import io.tokenmeter.sink.SinkSettings;
import io.tokenmeter.sink.SpanDocument;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No Elasticsearch can run here (no Docker, none embeddable from Maven Central), so the elastic
 * documents are checked field by field against what traces-*.otel-* maps with our @custom
 * component template: the type each value gets, and that the value fits it.
 */
class ElasticMappingTest {

    private static final String CUSTOM = "elasticsearch/component-template-traces-otel@custom.json";

    @Test
    void shouldIndexEveryFieldOfTheElasticDocumentsWithACompatibleType() throws Exception {
        // Given the effective traces-*.otel-* mapping and the documents the sink writes
        Mappings mappings = Mappings.elasticTracesOtel(Assets.json(CUSTOM));
        List<SpanDocument> docs = SinkDocumentsSource.documents(SinkFormat.ELASTIC);
        assertThat(docs).hasSize((int) SinkDocumentsSource.ALL_SPANS);

        // When every leaf is resolved against the mapping
        List<String> problems = new ArrayList<>();
        Map<String, String> typeOf = new TreeMap<>();
        for (SpanDocument doc : docs) {
            JsonNode tree = Assets.JSON.readTree(doc.json());
            Mappings.leaves(tree, "", (path, value) -> {
                Mappings.Resolution r = mappings.resolve(path, value);
                typeOf.put(path, r.type());
                String problem = incompatibility(r.type(), value);
                if (problem != null) {
                    problems.add(doc.id() + " " + path + "=" + value + " -> " + r.type() + " (" + r.how() + "): " + problem);
                }
            });
        }

        // Then every value fits its field type
        assertThat(problems).isEmpty();
        // And the fields the dashboards aggregate have the right types
        assertThat(typeOf).containsEntry("attributes.gen_ai.cost.total_usd", "double")
                .containsEntry("attributes.gen_ai.cost.input_usd", "double")
                .containsEntry("attributes.gen_ai.cost.cache_read_usd", "double")
                .containsEntry("attributes.gen_ai.usage.input_tokens", "long")
                .containsEntry("attributes.gen_ai.usage.output_tokens", "long")
                .containsEntry("attributes.gen_ai.request.model", "keyword")
                .containsEntry("attributes.gen_ai.cost.provider", "keyword")
                .containsEntry("duration", "long")
                .containsEntry("@timestamp", "date")
                .containsEntry("status.code", "keyword")
                .containsEntry("data_stream.dataset", "constant_keyword");
    }

    @Test
    void shouldMapEveryCostAndTokenAttributeExplicitlyNotByDynamicMapping() throws Exception {
        // Given the effective mapping (dynamic mapping would make 0.0 a float and an integral cost a long)
        Mappings mappings = Mappings.elasticTracesOtel(Assets.json(CUSTOM));

        // When each BRIEF section 7 cost attribute and canonical usage attribute is looked up
        for (String cost : List.of("total_usd", "input_usd", "output_usd", "cache_read_usd", "cache_write_usd")) {
            // Then it is explicitly double
            assertThat(mappings.explicit("attributes.gen_ai.cost." + cost)).as(cost).isPresent()
                    .get().extracting(n -> n.get("type").asText()).isEqualTo("double");
        }
        for (String tokens : List.of("input_tokens", "output_tokens", "cache_read.input_tokens",
                "cache_creation.input_tokens", "reasoning.output_tokens")) {
            assertThat(mappings.explicit("attributes.gen_ai.usage." + tokens)).as(tokens).isPresent()
                    .get().extracting(n -> n.get("type").asText()).isEqualTo("long");
        }
        // And a cost attribute tokenmeter may add later still lands on double through the dynamic template
        assertThat(mappings.resolve("attributes.gen_ai.cost.reasoning_usd", Assets.JSON.readTree("0")).type())
                .isEqualTo("double");
    }

    @Test
    void shouldKeepThePassthroughDefinitionOfTheBuiltInTemplate() {
        // Given our component template
        JsonNode attributes = Assets.json(CUSTOM).at("/template/mappings/properties/attributes");

        // Then it redeclares attributes exactly as otel@mappings does, so composing the templates cannot conflict
        assertThat(attributes.get("type").asText()).isEqualTo("passthrough");
        assertThat(attributes.get("priority").asInt()).isEqualTo(20);
        assertThat(attributes.get("dynamic").asBoolean()).isTrue();
        // And the data stream the connector and the Collector write to is the sink's default one
        assertThat(Assets.json("elasticsearch/confluent-elasticsearch-sink.json")
                .at("/config/topic.to.external.resource.mapping").asText())
                .isEqualTo("llm-span-docs:" + SinkSettings.of(SinkFormat.ELASTIC).elasticDataStream());
    }

    /** Why a JSON value cannot be indexed as {@code type}, or null when it can. */
    static String incompatibility(String type, JsonNode value) {
        if (value.isNull()) {
            return null;
        }
        return switch (type) {
            case "double", "float", "scaled_float" -> value.isNumber() ? null : "not a number";
            case "long", "integer", "short", "byte", "unsigned_long" ->
                    value.isIntegralNumber() ? null : "not an integer";
            case "keyword", "constant_keyword", "version", "wildcard", "text", "match_only_text" ->
                    value.isTextual() ? null : "not a string";
            case "date", "date_nanos" -> isIsoDate(value) ? null : "not an ISO-8601 date";
            case "boolean" -> value.isBoolean() ? null : "not a boolean";
            case "flattened", "unindexed" -> null;
            default -> "unexpected field type " + type;
        };
    }

    private static boolean isIsoDate(JsonNode value) {
        try {
            Instant.parse(value.asText());
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
