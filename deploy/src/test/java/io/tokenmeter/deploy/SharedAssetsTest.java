package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * k8s/ and docker-compose.yml use the Collector config, rules, dashboard and connector files that
 * connectors/ and alerts/ ship: by path, never as copies.
 */
class SharedAssetsTest {

    @Test
    void shouldFindEverySharedAssetWhereItsOwnerShipsIt() {
        // Given the files k8s/ and compose take from alerts/ and connectors/
        List<String> missing = new ArrayList<>();
        SharedAssets.all().forEach((path, usedBy) -> {
            if (!Files.isRegularFile(Repo.path(path))) {
                missing.add(path + " (used by " + usedBy + "; owner: " + SharedAssets.owner(path) + ")");
            }
        });
        // Then each exists
        assertThat(missing).as("shared assets not found").isEmpty();
    }

    /** Paths outside k8s/ that the kustomizations list as resources. */
    private static Set<String> kustomizeReferences() throws IOException {
        Set<String> refs = new HashSet<>();
        for (Path dir : Kustomize.kustomizations()) {
            JsonNode k = Yaml.single(dir.resolve("kustomization.yaml"));
            for (JsonNode r : Rendered.list(k.path("resources"))) {
                Path target = dir.resolve(r.asText()).normalize();
                String rel = Repo.relative(target);
                if (rel.startsWith("k8s/")) {
                    continue;
                }
                refs.add(rel);
                // A kustomization directory an owner ships: the files it lists are used as they are.
                if (Files.isRegularFile(target.resolve("kustomization.yaml"))) {
                    for (JsonNode inner : Rendered.list(Yaml.single(target.resolve("kustomization.yaml")).path("resources"))) {
                        refs.add(Repo.relative(target.resolve(inner.asText())));
                    }
                }
            }
        }
        return refs;
    }

    /** Bind-mount sources of the compose file, relative to the repository. */
    private static Set<String> composeReferences() {
        Set<String> refs = new HashSet<>();
        Yaml.withMergeKeys(Repo.path("docker-compose.yml")).path("services").forEach(s -> {
            for (JsonNode v : Rendered.list(s.path("volumes"))) {
                String source = v.asText().split(":")[0];
                if (source.startsWith("./")) {
                    refs.add(Repo.relative(Repo.path(source)));
                }
            }
        });
        return refs;
    }

    @Test
    void shouldReferenceTheSharedFilesByPath() throws IOException {
        // Given what the kustomizations and the compose file point at
        Set<String> refs = new HashSet<>(kustomizeReferences());
        refs.addAll(composeReferences());
        // Then every shared asset is used from where its owner keeps it
        assertThat(refs).containsAll(SharedAssets.all().keySet());
        // And nothing outside k8s/ is referenced but alerts/ and connectors/ assets
        assertThat(kustomizeReferences()).allMatch(r -> r.startsWith("alerts/") || r.startsWith("connectors/"));
    }

    private static List<Path> files(String dir) throws IOException {
        Path root = Repo.path(dir);
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> !Repo.relative(p).contains("/target/") && !Repo.relative(p).contains("/src/"))
                    .toList();
        }
    }

    private static Object parsed(Path file) {
        String name = file.getFileName().toString();
        try {
            if (name.endsWith(".json")) {
                return new ObjectMapper().readTree(file.toFile());
            }
            if (name.endsWith(".yaml") || name.endsWith(".yml")) {
                return Yaml.documents(file);
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    @Test
    void shouldNotKeepCopiesOfSharedFiles() throws IOException {
        // Given every asset file of alerts/ and connectors/ (sources and build output aside)
        Map<String, String> shippedBytes = new HashMap<>();
        Map<Object, String> shippedContent = new HashMap<>();
        for (String dir : List.of("alerts", "connectors")) {
            for (Path f : files(dir)) {
                shippedBytes.put(Files.readString(f).strip(), Repo.relative(f));
                Object parsed = parsed(f);
                if (parsed != null && !(parsed instanceof List<?> l && l.isEmpty())) {
                    shippedContent.put(parsed, Repo.relative(f));
                }
            }
        }
        // Then no file of k8s/ or deploy/ has the same text or the same parsed content
        List<String> copies = new ArrayList<>();
        for (String dir : List.of("k8s", "deploy")) {
            for (Path f : files(dir)) {
                String text = Files.readString(f).strip();
                if (shippedBytes.containsKey(text)) {
                    copies.add(Repo.relative(f) + " = " + shippedBytes.get(text));
                }
                Object parsed = parsed(f);
                if (parsed != null && shippedContent.containsKey(parsed)) {
                    copies.add(Repo.relative(f) + " ~ " + shippedContent.get(parsed));
                }
            }
        }
        assertThat(copies).isEmpty();
        // And k8s/ declares no rules or connectors of its own: those come from their owners
        for (Path f : files("k8s")) {
            String text = Files.readString(f);
            assertThat(text).as(Repo.relative(f))
                    .doesNotContainPattern("(?m)^kind:\\s*(PrometheusRule|KafkaConnector)\\s*$");
        }
    }
}
