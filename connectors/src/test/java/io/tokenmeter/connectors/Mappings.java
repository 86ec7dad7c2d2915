package io.tokenmeter.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads index mappings the way Elasticsearch/OpenSearch resolve a field: explicit properties
 * (dotted property names, objects, passthrough objects whose sub-fields keep their dots), then
 * dynamic templates in order, then the default dynamic mapping.
 */
final class Mappings {

    /** How a document field would be indexed. */
    record Resolution(String type, String how) {
        boolean indexed() {
            return !type.equals("unindexed");
        }
    }

    private final JsonNode mappings;

    Mappings(JsonNode mappings) {
        this.mappings = mappings;
    }

    /** The ES traces-*.otel-* mappings: the built-in base plus the given @custom component template. */
    static Mappings elasticTracesOtel(JsonNode customComponentTemplate) {
        ObjectNode base = (ObjectNode) readResource("/elastic-traces-otel-base-mappings.json").get("mappings").deepCopy();
        JsonNode custom = customComponentTemplate.get("template").get("mappings");
        // Component templates compose in order: custom properties merge over the base; dynamic
        // templates are concatenated (the base's, then the custom ones, then ecs@mappings').
        merge((ObjectNode) base.get("properties"), (ObjectNode) custom.get("properties"));
        ((com.fasterxml.jackson.databind.node.ArrayNode) base.get("dynamic_templates")).addAll(
                (com.fasterxml.jackson.databind.node.ArrayNode) custom.get("dynamic_templates"));
        return new Mappings(base);
    }

    private static JsonNode readResource(String name) {
        try (var in = Mappings.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return Assets.JSON.readTree(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void merge(ObjectNode into, ObjectNode from) {
        for (Iterator<Map.Entry<String, JsonNode>> it = from.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode existing = into.get(e.getKey());
            if (existing instanceof ObjectNode existingObject && e.getValue().isObject()) {
                ObjectNode copy = existingObject;
                for (Iterator<Map.Entry<String, JsonNode>> f = e.getValue().fields(); f.hasNext(); ) {
                    Map.Entry<String, JsonNode> g = f.next();
                    if (g.getKey().equals("properties") && copy.get("properties") instanceof ObjectNode props) {
                        merge(props, (ObjectNode) g.getValue());
                    } else {
                        copy.set(g.getKey(), g.getValue());
                    }
                }
            } else {
                into.set(e.getKey(), e.getValue());
            }
        }
    }

    /** The explicit mapping of a field path, if any (handles dotted property names and passthrough objects). */
    Optional<JsonNode> explicit(String path) {
        return find(mappings.get("properties"), path.split("\\."), 0);
    }

    private static Optional<JsonNode> find(JsonNode properties, String[] parts, int from) {
        if (properties == null) {
            return Optional.empty();
        }
        for (int to = parts.length; to > from; to--) {
            String candidate = String.join(".", java.util.Arrays.copyOfRange(parts, from, to));
            JsonNode field = properties.get(candidate);
            if (field == null) {
                continue;
            }
            if (to == parts.length) {
                return Optional.of(field);
            }
            if ("passthrough".equals(field.path("type").asText()) || field.path("subobjects").asText().equals("false")) {
                String rest = String.join(".", java.util.Arrays.copyOfRange(parts, to, parts.length));
                JsonNode sub = field.path("properties").get(rest);
                return Optional.ofNullable(sub);
            }
            Optional<JsonNode> deeper = find(field.get("properties"), parts, to);
            if (deeper.isPresent()) {
                return deeper;
            }
        }
        return Optional.empty();
    }

    /** The object mapping holding a path's leaf, or the root: its {@code dynamic} decides unmapped fields. */
    boolean dynamicAt(String path) {
        String[] parts = path.split("\\.");
        boolean dynamic = !mappings.path("dynamic").asText("true").equals("false");
        for (int i = parts.length - 1; i > 0; i--) {
            String prefix = String.join(".", java.util.Arrays.copyOfRange(parts, 0, i));
            Optional<JsonNode> holder = explicit(prefix);
            if (holder.isPresent() && holder.get().has("dynamic")) {
                return !holder.get().get("dynamic").asText().equals("false");
            }
        }
        return dynamic;
    }

    /**
     * How a JSON value at {@code path} is indexed: its explicit mapping, else the first matching
     * dynamic template, else the default dynamic mapping (string: keyword via the backend's
     * string rule, integral: long, floating: float), or unindexed when dynamic is false.
     */
    Resolution resolve(String path, JsonNode value) {
        Optional<JsonNode> explicit = explicit(path);
        if (explicit.isPresent()) {
            return new Resolution(explicit.get().path("type").asText("object"), "explicit");
        }
        if (!dynamicAt(path)) {
            return new Resolution("unindexed", "dynamic:false");
        }
        String jsonType = value.isTextual() ? "string" : value.isIntegralNumber() ? "long"
                : value.isFloatingPointNumber() ? "double" : value.isBoolean() ? "boolean"
                : value.isObject() ? "object" : "null";
        for (JsonNode entry : mappings.path("dynamic_templates")) {
            Map.Entry<String, JsonNode> template = entry.fields().next();
            JsonNode t = template.getValue();
            if (t.has("match_mapping_type") && !t.get("match_mapping_type").asText().equals(jsonType)) {
                continue;
            }
            if (t.has("path_match") && matchesAny(t.get("path_match"), path)) {
                return new Resolution(t.get("mapping").path("type").asText(), "dynamic template " + template.getKey());
            }
        }
        return switch (jsonType) {
            case "string" -> new Resolution("keyword", "default dynamic");
            case "long" -> new Resolution("long", "default dynamic");
            case "double" -> new Resolution("float", "default dynamic");
            case "boolean" -> new Resolution("boolean", "default dynamic");
            default -> new Resolution("object", "default dynamic");
        };
    }

    private static boolean matchesAny(JsonNode patterns, String path) {
        List<JsonNode> all = patterns.isArray() ? iterable(patterns) : List.of(patterns);
        for (JsonNode p : all) {
            String regex = ("\\Q" + p.asText() + "\\E").replace("*", "\\E.*\\Q");
            if (Pattern.compile(regex).matcher(path).matches()) {
                return true;
            }
        }
        return false;
    }

    private static List<JsonNode> iterable(JsonNode array) {
        List<JsonNode> out = new java.util.ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    /** Every leaf (non-object) of a document, by dotted path; arrays contribute their elements. */
    static void leaves(JsonNode node, String path, java.util.function.BiConsumer<String, JsonNode> out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                leaves(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), out);
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                leaves(element, path, out);
            }
        } else {
            out.accept(path, node);
        }
    }
}
