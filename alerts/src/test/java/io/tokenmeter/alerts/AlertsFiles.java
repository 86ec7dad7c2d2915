package io.tokenmeter.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Where the alerts module keeps its files, and how the tests read them. */
final class AlertsFiles {
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = new ObjectMapper();

  private AlertsFiles() {}

  /** The alerts module directory (surefire runs with it as {@code basedir}). */
  static Path module() {
    Path dir = Path.of(System.getProperty("basedir", "")).toAbsolutePath().normalize();
    if (!Files.isRegularFile(dir.resolve("rules/tokenmeter.rules.yml"))) {
      dir = dir.resolve("alerts");
    }
    if (!Files.isRegularFile(dir.resolve("rules/tokenmeter.rules.yml"))) {
      throw new IllegalStateException("cannot find alerts/rules/tokenmeter.rules.yml from " + dir);
    }
    return dir;
  }

  static Path repoRoot() {
    return module().getParent();
  }

  static Path rules() {
    return module().resolve("rules/tokenmeter.rules.yml");
  }

  static Path prometheusRule() {
    return module().resolve("k8s/prometheusrule.yaml");
  }

  static Path dashboard() {
    return module().resolve("grafana/tokenmeter-dashboard.json");
  }

  static Path runbook() {
    return module().resolve("RUNBOOK.md");
  }

  /** {@code ../shared} beside the checkout (system property tokenmeter.shared.dir, set by the parent POM). */
  static Path brief() {
    Path p = Path.of(System.getProperty("tokenmeter.shared.dir", repoRoot().resolve("../shared").toString()))
        .resolve("design/BRIEF.md").toAbsolutePath().normalize();
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException(p + " is missing: the tests read the metric contract from ../shared beside the checkout");
    }
    return p;
  }

  static Path contracts() {
    return repoRoot().resolve("docs/CONTRACTS.md");
  }

  /** The promtool unit-test files, {@code tests/*.test.yml}, sorted. */
  static List<Path> unitTestFiles() {
    try (Stream<Path> s = Files.list(module().resolve("tests"))) {
      List<Path> files = new ArrayList<>(s.filter(p -> p.getFileName().toString().endsWith(".test.yml")).sorted().toList());
      if (files.isEmpty()) {
        throw new IllegalStateException("no tests/*.test.yml in " + module());
      }
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode yaml(Path p) {
    return yaml(read(p));
  }

  static JsonNode yaml(String text) {
    try {
      return YAML.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode json(Path p) {
    try {
      return JSON.readTree(p.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String toYaml(Object tree) {
    try {
      return YAML.writeValueAsString(tree);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every rule of the rule file, in file order. */
  static List<JsonNode> allRules() {
    List<JsonNode> rules = new ArrayList<>();
    yaml(rules()).path("groups").forEach(g -> g.path("rules").forEach(rules::add));
    return rules;
  }

  static List<JsonNode> alertRules() {
    return allRules().stream().filter(r -> r.has("alert")).toList();
  }

  static List<JsonNode> recordingRules() {
    return allRules().stream().filter(r -> r.has("record")).toList();
  }
}
