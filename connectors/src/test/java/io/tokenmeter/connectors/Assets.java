package io.tokenmeter.connectors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** The connector assets beside the module's POM, read strictly (duplicate keys are errors). */
final class Assets {

    static final List<String> ASSET_DIRS = List.of("opensearch", "elasticsearch", "collector", "dashboards");

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private Assets() {
    }

    /** The connectors directory; the build passes it, and a run without it fails loudly. */
    static Path dir() {
        String dir = System.getProperty("tokenmeter.connectors.dir");
        if (dir == null || !Files.isDirectory(Path.of(dir, "opensearch"))) {
            throw new IllegalStateException("system property tokenmeter.connectors.dir must name the connectors/ directory"
                    + " (the module POM sets it); got " + dir);
        }
        return Path.of(dir);
    }

    static Path path(String relative) {
        Path p = dir().resolve(relative);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("missing asset " + p);
        }
        return p;
    }

    static String text(String relative) {
        try {
            return Files.readString(path(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(String relative) {
        try {
            return JSON.readTree(path(relative).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(relative + " is not valid JSON", e);
        }
    }

    static JsonNode yaml(String relative) {
        try {
            return YAML.readTree(path(relative).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(relative + " is not valid YAML", e);
        }
    }

    static List<JsonNode> ndjson(String relative) {
        List<JsonNode> objects = new ArrayList<>();
        int line = 0;
        for (String row : text(relative).split("\n", -1)) {
            line++;
            if (row.isBlank()) {
                continue;
            }
            try {
                objects.add(JSON.readTree(row));
            } catch (IOException e) {
                throw new UncheckedIOException(relative + " line " + line + " is not valid JSON", e);
            }
        }
        return objects;
    }

    /** Every asset file (relative path with '/'), sorted. */
    static List<String> all() {
        List<String> files = new ArrayList<>();
        for (String d : ASSET_DIRS) {
            try (Stream<Path> walk = Files.walk(dir().resolve(d))) {
                walk.filter(Files::isRegularFile)
                        .map(p -> dir().relativize(p).toString().replace('\\', '/'))
                        .forEach(files::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        files.sort(String::compareTo);
        return files;
    }

    /** A known-keys list from test resources: one key a line, '#' comments, a trailing '.*' marks a prefix. */
    static Set<String> knownKeys(String resource) {
        try (InputStream in = Assets.class.getResourceAsStream("/known-keys/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource known-keys/" + resource);
            }
            Set<String> keys = new LinkedHashSet<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String key = line.strip();
                if (!key.isEmpty() && !key.startsWith("#")) {
                    keys.add(key);
                }
            }
            return keys;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True when {@code key} is listed, or falls under a listed prefix ({@code a.b.*}). */
    static boolean isKnown(Set<String> known, String key) {
        if (known.contains(key)) {
            return true;
        }
        for (String k : known) {
            if (k.endsWith(".*") && key.startsWith(k.substring(0, k.length() - 1))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The setting paths of a YAML/JSON config tree that are not known: descends objects (and
     * arrays of objects, keeping the path), stops at a listed key or prefix.
     */
    static List<String> unknownSettings(JsonNode node, String path, Set<String> known) {
        List<String> unknown = new ArrayList<>();
        if (!path.isEmpty() && (known.contains(path) || isKnown(known, path))) {
            return unknown;
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                unknown.addAll(unknownSettings(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), known));
            }
        } else if (node.isArray() && node.size() > 0 && node.get(0).isObject()) {
            for (JsonNode element : node) {
                unknown.addAll(unknownSettings(element, path, known));
            }
        } else {
            unknown.add(path);
        }
        return unknown;
    }
}
