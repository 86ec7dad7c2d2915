package io.tokenmeter.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The aggregation-based visualizations of a saved-objects NDJSON, and the search request each one
 * sends (the subset of the Kibana/OpenSearch Dashboards request builder the dashboards use:
 * count/sum/avg/min/max/cardinality/percentiles metrics, terms and date_histogram buckets, a KQL
 * query that is empty or {@code field:*}). Anything else fails loudly.
 */
final class Visualizations {

    record Agg(String id, String type, String schema, JsonNode params) {
        boolean metric() {
            return schema.equals("metric");
        }

        String field() {
            return params.path("field").asText(null);
        }
    }

    record Vis(String id, String title, String type, List<Agg> aggs, String query, String indexPatternId) {
        List<Agg> metrics() {
            return aggs.stream().filter(Agg::metric).toList();
        }

        List<Agg> buckets() {
            return aggs.stream().filter(a -> !a.metric()).toList();
        }
    }

    private static final Pattern EXISTS = Pattern.compile("([^\\s:]+):\\*");

    private Visualizations() {
    }

    /** Saved objects of a type, by id. */
    static Map<String, JsonNode> objects(List<JsonNode> ndjson, String type) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        ndjson.stream().filter(o -> o.get("type").asText().equals(type)).forEach(o -> out.put(o.get("id").asText(), o));
        return out;
    }

    static List<Vis> parse(List<JsonNode> ndjson) {
        List<Vis> out = new ArrayList<>();
        for (JsonNode object : objects(ndjson, "visualization").values()) {
            try {
                JsonNode attributes = object.get("attributes");
                JsonNode visState = Assets.JSON.readTree(attributes.get("visState").asText());
                JsonNode search = Assets.JSON.readTree(attributes.at("/kibanaSavedObjectMeta/searchSourceJSON").asText());
                String ref = search.get("indexRefName").asText();
                String indexPattern = null;
                for (JsonNode r : object.get("references")) {
                    if (r.get("name").asText().equals(ref)) {
                        indexPattern = r.get("id").asText();
                    }
                }
                List<Agg> aggs = new ArrayList<>();
                for (JsonNode a : visState.get("aggs")) {
                    aggs.add(new Agg(a.get("id").asText(), a.get("type").asText(), a.get("schema").asText(), a.get("params")));
                }
                out.add(new Vis(object.get("id").asText(), attributes.get("title").asText(), visState.get("type").asText(),
                        aggs, search.at("/query/query").asText(), indexPattern));
            } catch (IOException e) {
                throw new UncheckedIOException(object.get("id") + " has a visState/searchSourceJSON that is not JSON", e);
            }
        }
        return out;
    }

    /** The search body the visualization sends; date histograms use a fixed 1h interval instead of "auto". */
    static ObjectNode request(Vis vis) {
        ObjectNode body = Assets.JSON.createObjectNode();
        body.put("size", 0);
        body.put("track_total_hits", true);
        Matcher exists = EXISTS.matcher(vis.query());
        if (vis.query().isBlank()) {
            body.putObject("query").putObject("match_all");
        } else if (exists.matches()) {
            body.putObject("query").putObject("exists").put("field", exists.group(1));
        } else {
            throw new IllegalArgumentException(vis.id() + ": unsupported query '" + vis.query() + "'");
        }
        ObjectNode level = body.putObject("aggs");
        List<Agg> buckets = vis.buckets();
        for (int i = 0; i < buckets.size(); i++) {
            Agg bucket = buckets.get(i);
            ObjectNode agg = level.putObject(bucket.id());
            switch (bucket.type()) {
                case "terms" -> {
                    ObjectNode terms = agg.putObject("terms");
                    terms.put("field", bucket.field());
                    terms.put("size", bucket.params().get("size").asInt());
                    String orderBy = bucket.params().get("orderBy").asText();
                    String key = orderBy.equals("_key") ? "_key" : metricOrderKey(vis, orderBy);
                    terms.putObject("order").put(key, bucket.params().get("order").asText());
                }
                case "date_histogram" -> {
                    ObjectNode histogram = agg.putObject("date_histogram");
                    histogram.put("field", bucket.field());
                    histogram.put("fixed_interval", "1h");
                    histogram.put("min_doc_count", bucket.params().path("min_doc_count").asInt(1));
                }
                default -> throw new IllegalArgumentException(vis.id() + ": unsupported bucket aggregation " + bucket.type());
            }
            ObjectNode sub = agg.putObject("aggs");
            addMetrics(vis, sub);
            level = sub;
        }
        if (buckets.isEmpty()) {
            addMetrics(vis, level);
        }
        return body;
    }

    private static String metricOrderKey(Vis vis, String metricId) {
        for (Agg m : vis.metrics()) {
            if (m.id().equals(metricId)) {
                return m.type().equals("count") ? "_count" : metricId;
            }
        }
        throw new IllegalArgumentException(vis.id() + ": terms ordered by unknown metric " + metricId);
    }

    private static void addMetrics(Vis vis, ObjectNode aggs) {
        for (Agg m : vis.metrics()) {
            switch (m.type()) {
                case "count" -> {
                }
                case "sum", "avg", "min", "max", "cardinality" -> aggs.putObject(m.id()).putObject(m.type()).put("field", m.field());
                case "percentiles" -> {
                    ObjectNode p = aggs.putObject(m.id()).putObject("percentiles");
                    p.put("field", m.field());
                    ArrayNode percents = p.putArray("percents");
                    m.params().get("percents").forEach(percents::add);
                }
                default -> throw new IllegalArgumentException(vis.id() + ": unsupported metric " + m.type());
            }
        }
    }

    /** The field types each aggregation needs, for checking a mapping: "numeric", "keyword" or "date". */
    static String neededType(Agg agg) {
        return switch (agg.type()) {
            case "sum", "avg", "min", "max", "percentiles" -> "numeric";
            case "terms", "cardinality" -> "keyword";
            case "date_histogram" -> "date";
            case "count" -> "none";
            default -> throw new IllegalArgumentException("unsupported aggregation " + agg.type());
        };
    }
}
