package io.tokenmeter.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.sink.SinkFormat;
import io.tokenmeter.sink.SpanDocument;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The saved-object NDJSON files hang together and aggregate fields of the right types. */
class DashboardsTest {

    static final String OSD = "dashboards/opensearch-dashboards.ndjson";
    static final String KIBANA = "dashboards/kibana.ndjson";

    /** The panels the seed articles describe, by visualization id suffix. */
    static final List<String> PANELS = List.of("total-cost", "calls", "cost-by-model", "cost-by-provider",
            "cost-over-time", "tokens-by-model", "avg-tokens-by-model", "top-expensive-calls", "latency-by-model",
            "errors-by-model");

    @Test
    void shouldReferenceOnlyObjectsThatAreInTheFile() {
        for (String file : List.of(OSD, KIBANA)) {
            // Given a saved-objects file
            List<JsonNode> objects = Assets.ndjson(file);
            Map<String, JsonNode> patterns = Visualizations.objects(objects, "index-pattern");
            Map<String, JsonNode> visualizations = Visualizations.objects(objects, "visualization");
            Map<String, JsonNode> dashboards = Visualizations.objects(objects, "dashboard");

            // Then it has one index pattern, one dashboard, and a visualization for every panel
            assertThat(patterns).as(file).hasSize(1);
            assertThat(dashboards).as(file).hasSize(1);
            String prefix = file.equals(OSD) ? "tokenmeter-osd-" : "tokenmeter-kibana-";
            assertThat(visualizations.keySet()).as(file).containsExactlyInAnyOrderElementsOf(
                    PANELS.stream().map(p -> prefix + p).toList());
            // And every reference points at an object in the file, and every panel has its reference
            for (JsonNode object : objects) {
                for (JsonNode ref : object.get("references")) {
                    Map<String, JsonNode> pool = ref.get("type").asText().equals("index-pattern") ? patterns : visualizations;
                    assertThat(pool).as(file + " " + object.get("id") + " -> " + ref).containsKey(ref.get("id").asText());
                }
            }
            JsonNode dashboard = dashboards.values().iterator().next();
            JsonNode panels = parse(dashboard.at("/attributes/panelsJSON").asText());
            assertThat(panels.size()).isEqualTo(PANELS.size());
            List<String> refNames = new ArrayList<>();
            dashboard.get("references").forEach(r -> refNames.add(r.get("name").asText()));
            panels.forEach(p -> assertThat(refNames).contains(p.get("panelRefName").asText()));
        }
    }

    @Test
    void shouldAggregateOpenSearchFieldsThatTheTemplateMapsWithTheRightTypes() {
        // Given the OpenSearch component template (with Data Prepper's keyword rule for other attributes)
        Mappings mappings = new Mappings(Assets.json("opensearch/component-template-tokenmeter-span-mappings.json")
                .at("/template/mappings"));
        // And one document of each kind, so dynamically mapped fields can be resolved
        List<SpanDocument> docs = SinkDocumentsSource.documents(SinkFormat.OPENSEARCH);

        // Then every aggregated field resolves to a type its aggregation can use
        assertThat(problems(Visualizations.parse(Assets.ndjson(OSD)), mappings, docs)).isEmpty();
        assertThat(Assets.ndjson(OSD).get(0).at("/attributes/timeFieldName").asText()).isEqualTo("startTime");
    }

    @Test
    void shouldAggregateKibanaFieldsThatTracesOtelMapsWithTheRightTypes() {
        // Given the traces-*.otel-* mapping with our @custom template
        Mappings mappings = Mappings.elasticTracesOtel(Assets.json("elasticsearch/component-template-traces-otel@custom.json"));
        List<SpanDocument> docs = SinkDocumentsSource.documents(SinkFormat.ELASTIC);

        // Then every aggregated field resolves to a type its aggregation can use
        assertThat(problems(Visualizations.parse(Assets.ndjson(KIBANA)), mappings, docs)).isEmpty();
        assertThat(Assets.ndjson(KIBANA).get(0).at("/attributes/title").asText()).isEqualTo("traces-tokenmeter.otel-*");
    }

    private static List<String> problems(List<Visualizations.Vis> all, Mappings mappings, List<SpanDocument> docs) {
        List<String> problems = new ArrayList<>();
        for (Visualizations.Vis vis : all) {
            Visualizations.request(vis); // every visualization is translatable
            for (Visualizations.Agg agg : vis.aggs()) {
                String needed = Visualizations.neededType(agg);
                if (needed.equals("none")) {
                    continue;
                }
                String type = typeOf(mappings, agg.field(), docs);
                boolean ok = switch (needed) {
                    case "numeric" -> Set.of("long", "integer", "double", "float", "scaled_float").contains(type);
                    case "keyword" -> Set.of("keyword", "constant_keyword", "integer", "long").contains(type);
                    default -> Set.of("date", "date_nanos").contains(type);
                };
                if (!ok) {
                    problems.add(vis.id() + " " + agg.type() + "(" + agg.field() + ") but the field maps to " + type);
                }
            }
        }
        return problems;
    }

    /** The field's type: explicit, or as the first document carrying it would map it dynamically. */
    private static String typeOf(Mappings mappings, String field, List<SpanDocument> docs) {
        if (mappings.explicit(field).isPresent()) {
            return mappings.explicit(field).get().path("type").asText("object");
        }
        for (SpanDocument doc : docs) {
            JsonNode tree = parse(doc.jsonString());
            String[] found = new String[1];
            Mappings.leaves(tree, "", (path, value) -> {
                if (path.equals(field) && found[0] == null) {
                    found[0] = mappings.resolve(path, value).type();
                }
            });
            if (found[0] != null) {
                return found[0];
            }
        }
        return "unmapped";
    }

    private static JsonNode parse(String json) {
        try {
            return Assets.JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
