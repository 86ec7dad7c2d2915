package io.tokenmeter.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Wraps the Prometheus rule file (the one source, {@code alerts/rules/tokenmeter.rules.yml}) into a
 * prometheus-operator {@code PrometheusRule} resource ({@code alerts/k8s/prometheusrule.yaml}).
 *
 * <p>The rule file's {@code groups:} block is copied as text, indented under {@code spec:}, so the
 * resource keeps the source's comments and layout and a diff of the two reads line for line.
 * Everything before {@code groups:} (the file's header comment) is replaced by the resource header.
 *
 * <p>Run: {@code ./mvnw -B -q -pl alerts compile exec:java} (arguments: source, target), or
 * {@code java -cp alerts/target/classes:... io.tokenmeter.alerts.PrometheusRuleGenerator SOURCE TARGET}.
 */
public final class PrometheusRuleGenerator {

  /** Name of the generated resource (kustomize may add a prefix and the namespace). */
  public static final String RESOURCE_NAME = "tokenmeter";

  private static final List<String> HEADER = List.of(
      "# GENERATED from alerts/rules/tokenmeter.rules.yml by io.tokenmeter.alerts.PrometheusRuleGenerator.",
      "# Do not edit: change the rule file and run `./mvnw -B -q -pl alerts compile exec:java`.",
      "# PrometheusRuleTest fails the build while this file differs from what the generator makes.",
      "apiVersion: monitoring.coreos.com/v1",
      "kind: PrometheusRule",
      "metadata:",
      "  name: " + RESOURCE_NAME,
      "  labels:",
      "    app.kubernetes.io/name: tokenmeter",
      "    app.kubernetes.io/part-of: tokenmeter",
      "    app.kubernetes.io/component: alerts",
      "spec:");

  private PrometheusRuleGenerator() {}

  /** The PrometheusRule YAML for a Prometheus rule file's text. */
  public static String generate(String ruleFile) {
    JsonNode parsed;
    try {
      parsed = new YAMLMapper().readTree(ruleFile);
    } catch (IOException e) {
      throw new IllegalArgumentException("the rule file is not valid YAML: " + e.getMessage(), e);
    }
    if (parsed == null || !parsed.path("groups").isArray() || parsed.path("groups").isEmpty()) {
      throw new IllegalArgumentException("the rule file has no 'groups' list");
    }
    if (parsed.size() != 1) {
      throw new IllegalArgumentException("the rule file may only have the top-level key 'groups', found " + fieldNames(parsed));
    }
    String[] lines = ruleFile.replace("\r\n", "\n").split("\n", -1);
    int start = -1;
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].startsWith("groups:")) {
        start = i;
        break;
      }
    }
    if (start < 0) {
      throw new IllegalArgumentException("'groups:' must start a line at column 0");
    }
    StringBuilder out = new StringBuilder();
    HEADER.forEach(h -> out.append(h).append('\n'));
    int end = lines.length;
    while (end > start && lines[end - 1].isBlank()) {
      end--;
    }
    for (int i = start; i < end; i++) {
      out.append(lines[i].isEmpty() ? "" : "  " + lines[i]).append('\n');
    }
    return out.toString();
  }

  /** Regenerates {@code target} from {@code source}; returns true when the file changed. */
  public static boolean regenerate(Path source, Path target) {
    try {
      String generated = generate(Files.readString(source, StandardCharsets.UTF_8));
      if (Files.isRegularFile(target) && Files.readString(target, StandardCharsets.UTF_8).equals(generated)) {
        return false;
      }
      Path parent = target.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(target, generated, StandardCharsets.UTF_8);
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: PrometheusRuleGenerator <rules/tokenmeter.rules.yml> <k8s/prometheusrule.yaml>");
      System.exit(2);
    }
    Path source = Path.of(args[0]);
    Path target = Path.of(args[1]);
    boolean changed = regenerate(source, target);
    System.out.println((changed ? "wrote " : "unchanged ") + target + " from " + source);
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
