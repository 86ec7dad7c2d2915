package io.tokenmeter.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Renders the Kustomize trees under k8s/ with {@code kubectl kustomize}. The overlays pull the
 * PrometheusRule from alerts/ and the Connect resources from connectors/ (the same files, not
 * copies), which lie outside the overlay directory, hence {@code --load-restrictor LoadRestrictionsNone}.
 */
public final class Kustomize {

    public static final List<String> BUILD_FLAGS = List.of("--load-restrictor", "LoadRestrictionsNone");

    private static final Map<Path, List<ObjectNode>> CACHE = new ConcurrentHashMap<>();

    private Kustomize() {
    }

    /** Every directory under k8s/ holding a kustomization.yaml. */
    public static List<Path> kustomizations() {
        try (Stream<Path> files = Files.walk(Repo.path("k8s"))) {
            return files.filter(p -> p.getFileName().toString().equals("kustomization.yaml"))
                    .map(Path::getParent)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<ObjectNode> build(String relativeDir) {
        return build(Repo.path(relativeDir));
    }

    public static List<ObjectNode> build(Path dir) {
        return CACHE.computeIfAbsent(dir.toAbsolutePath().normalize(), d -> {
            Tools.Result result = run(d);
            if (!result.ok()) {
                StringBuilder missing = new StringBuilder();
                SharedAssets.all().forEach((asset, usedBy) -> {
                    if (usedBy.contains(Repo.relative(d)) && !java.nio.file.Files.isRegularFile(Repo.path(asset))) {
                        missing.append("\n  missing ").append(asset).append(", not shipped yet by the ")
                                .append(SharedAssets.owner(asset));
                    }
                });
                throw new AssertionError("kubectl kustomize " + Repo.relative(d) + " failed:" + missing + "\n"
                        + result.describe());
            }
            return List.copyOf(Yaml.documents(result.stdout()));
        });
    }

    public static Tools.Result run(Path dir) {
        var command = new java.util.ArrayList<String>();
        command.add(Tools.kubectl().toString());
        command.add("kustomize");
        command.addAll(BUILD_FLAGS);
        command.add(dir.toString());
        return Tools.run(Repo.root(), command);
    }

    /** The kustomize version built into kubectl, e.g. "v5.5.0". */
    public static String version() {
        Tools.Result result = Tools.run(Repo.root(),
                List.of(Tools.kubectl().toString(), "version", "--client", "-o", "json"));
        if (!result.ok()) {
            throw new AssertionError("kubectl version failed: " + result.describe());
        }
        try {
            JsonNode json = new ObjectMapper().readTree(result.stdout());
            return json.path("kustomizeVersion").asText("");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int majorVersion() {
        Matcher m = Pattern.compile("v?(\\d+)\\.").matcher(version());
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }
}
