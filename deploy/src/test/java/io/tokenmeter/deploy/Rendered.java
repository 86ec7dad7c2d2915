package io.tokenmeter.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.StreamSupport;

/** Look-ups in a rendered Kustomize output. */
public record Rendered(List<ObjectNode> objects) {

    public static Rendered of(String kustomizationDir) {
        return new Rendered(Kustomize.build(kustomizationDir));
    }

    public List<ObjectNode> ofKind(String kind) {
        return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
    }

    /** The object of this kind whose name is {@code name}, or {@code name-<hash>} for generated ones. */
    public Optional<ObjectNode> find(String kind, String name) {
        return ofKind(kind).stream().filter(o -> nameMatches(o.path("metadata").path("name").asText(), name))
                .findFirst();
    }

    public ObjectNode get(String kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in the render"));
    }

    public static boolean nameMatches(String actual, String name) {
        return actual.equals(name) || actual.matches(java.util.regex.Pattern.quote(name) + "-[a-z0-9]{10}");
    }

    /** The data of a generated ConfigMap or (decoded) Secret. */
    public Map<String, String> data(String kind, String name) {
        ObjectNode object = get(kind, name);
        Map<String, String> data = new LinkedHashMap<>();
        object.path("data").fields().forEachRemaining(e -> data.put(e.getKey(),
                "Secret".equals(kind)
                        ? new String(java.util.Base64.getDecoder().decode(e.getValue().asText()),
                                java.nio.charset.StandardCharsets.UTF_8)
                        : e.getValue().asText()));
        return data;
    }

    public static List<JsonNode> list(JsonNode array) {
        List<JsonNode> list = new ArrayList<>();
        if (array != null && array.isArray()) {
            array.forEach(list::add);
        }
        return list;
    }

    public static Optional<JsonNode> byName(JsonNode array, String name) {
        if (array == null || !array.isArray()) {
            return Optional.empty();
        }
        return StreamSupport.stream(array.spliterator(), false)
                .filter(n -> name.equals(n.path("name").asText()))
                .findFirst();
    }

    /** The pod template of a StatefulSet, Deployment, Job or CronJob. */
    public static JsonNode podSpec(JsonNode workload) {
        JsonNode spec = workload.path("spec");
        if ("CronJob".equals(workload.path("kind").asText())) {
            spec = spec.path("jobTemplate").path("spec");
        }
        return spec.path("template").path("spec");
    }

    public static JsonNode podLabels(JsonNode workload) {
        JsonNode spec = workload.path("spec");
        if ("CronJob".equals(workload.path("kind").asText())) {
            spec = spec.path("jobTemplate").path("spec");
        }
        return spec.path("template").path("metadata").path("labels");
    }

    /** Whether every label of {@code selector} (a matchLabels / selector map) is on {@code labels}. */
    public static boolean selects(JsonNode selector, JsonNode labels) {
        if (selector == null || !selector.isObject() || selector.isEmpty()) {
            return false;
        }
        var it = selector.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) {
                return false;
            }
        }
        return true;
    }
}
