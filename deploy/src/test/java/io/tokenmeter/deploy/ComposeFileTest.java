package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docker-compose.yml: valid for Compose, complete, and built only from files that exist. */
class ComposeFileTest {

    private static final Path COMPOSE = Repo.path("docker-compose.yml");

    private static ObjectNode compose() {
        return Yaml.withMergeKeys(COMPOSE);
    }

    private static JsonNode service(String name) {
        JsonNode s = compose().path("services").path(name);
        assertThat(s.isObject()).as("service " + name).isTrue();
        return s;
    }

    private static Tools.Result dockerComposeConfig(Path file) {
        return Tools.run(file.getParent(),
                List.of(Tools.dockerCompose().toString(), "-f", file.toString(), "config", "-q"));
    }

    @Test
    void shouldValidateWithDockerCompose() {
        // Given the compose file
        // When docker-compose checks it against the Compose schema (no engine needed)
        Tools.Result result = dockerComposeConfig(COMPOSE);
        // Then it is valid
        assertThat(result.ok()).as(result.describe()).isTrue();
    }

    @Test
    void shouldRejectAMisspelledKeyWithDockerCompose(@TempDir Path tmp) throws IOException {
        // Given a copy of the compose file with "enviroment" in one service
        String text = Files.readString(COMPOSE).replaceFirst("\n    environment:\n", "\n    enviroment:\n");
        Path copy = tmp.resolve("docker-compose.yml");
        Files.writeString(copy, text);
        Files.createDirectories(tmp.resolve("deploy/compose/kafka-connect"));
        // When docker-compose checks it
        Tools.Result result = dockerComposeConfig(copy);
        // Then it is refused, naming the key
        assertThat(result.ok()).isFalse();
        assertThat(result.stdout() + result.stderr()).contains("enviroment");
    }

    /** Host paths of bind mounts and build contexts, per service. */
    private static Map<String, List<String>> hostPaths() {
        Map<String, List<String>> paths = new LinkedHashMap<>();
        compose().path("services").fields().forEachRemaining(e -> {
            List<String> list = new ArrayList<>();
            for (JsonNode volume : Rendered.list(e.getValue().path("volumes"))) {
                String source = volume.isTextual() ? volume.asText().split(":")[0] : volume.path("source").asText();
                if (source.startsWith("./") || source.startsWith("../") || source.startsWith("/")) {
                    list.add(source);
                }
            }
            JsonNode build = e.getValue().path("build");
            if (build.isTextual()) {
                list.add(build.asText());
            } else if (build.isObject()) {
                String context = build.path("context").asText(".");
                list.add(context);
                list.add(Path.of(context).resolve(build.path("dockerfile").asText("Dockerfile")).toString());
            }
            paths.put(e.getKey(), list);
        });
        return paths;
    }

    @Test
    void shouldMountAndBuildOnlyFilesThatExist() {
        // Given every bind mount and build input of every service
        List<String> missing = new ArrayList<>();
        hostPaths().forEach((service, paths) -> {
            for (String p : paths) {
                Path resolved = COMPOSE.getParent().resolve(p).normalize();
                if (!Files.exists(resolved)) {
                    String rel = Repo.relative(resolved);
                    String owner = rel.startsWith("alerts/") || rel.startsWith("connectors/")
                            ? " (not shipped yet by the " + SharedAssets.owner(rel) + ")" : "";
                    missing.add(service + ": " + rel + owner);
                }
            }
        });
        // Then each exists
        assertThat(missing).as("files docker-compose.yml mounts or builds from").isEmpty();
    }

    @Test
    void shouldRunTheWholeStack() {
        // Given the services the issue lists
        assertThat(compose().path("services").isObject()).isTrue();
        List<String> names = new ArrayList<>();
        compose().path("services").fieldNames().forEachRemaining(names::add);
        assertThat(names).contains("kafka", "otel-collector", "tokenmeter", "pricing-loader", "traffic",
                "kafka-connect", "opensearch", "opensearch-dashboards", "prometheus", "grafana");
        // Kafka in KRaft mode, the version the build uses
        JsonNode kafka = service("kafka");
        assertThat(kafka.path("image").asText()).isEqualTo("apache/kafka:" + Poms.kafkaVersion());
        assertThat(kafka.path("environment").path("KAFKA_PROCESS_ROLES").asText()).contains("controller");
        // The app image of this version, built from the root Dockerfile
        for (String app : List.of("tokenmeter", "pricing-loader", "traffic")) {
            assertThat(service(app).path("image").asText()).isEqualTo("tokenmeter:" + Poms.projectVersion());
            assertThat(service(app).path("build").path("context").asText()).isEqualTo(".");
        }
    }

    @Test
    void shouldSendTrafficThroughTheCollector() {
        // Given the traffic generator's command
        List<String> command = Rendered.list(service("traffic").path("command")).stream().map(JsonNode::asText).toList();
        // Then it exports OTLP/HTTP to the Collector service, which writes to Kafka
        assertThat(command.get(0)).isEqualTo("traffic");
        assertThat(command.get(command.indexOf("--otlp-endpoint") + 1)).isEqualTo("http://otel-collector:4318");
        assertThat(String.join(" ", Rendered.list(service("otel-collector").path("volumes")).stream()
                .map(JsonNode::asText).toList())).contains("./" + SharedAssets.COLLECTOR_CONFIG + ":");
    }

    @Test
    void shouldRunOneShotsOnceAndInOrder() {
        // Given every depends_on
        compose().path("services").fields().forEachRemaining(e -> {
            e.getValue().path("depends_on").fields().forEachRemaining(d -> {
                // Then it names a service that exists
                assertThat(compose().path("services").has(d.getKey())).as(e.getKey() + " -> " + d.getKey()).isTrue();
                // And a dependency awaited to completion is a one-shot that is not restarted
                if ("service_completed_successfully".equals(d.getValue().path("condition").asText())) {
                    assertThat(service(d.getKey()).path("restart").asText()).as(d.getKey()).isEqualTo("no");
                }
                // And one awaited healthy has a healthcheck
                if ("service_healthy".equals(d.getValue().path("condition").asText())) {
                    assertThat(service(d.getKey()).has("healthcheck")).as(d.getKey()).isTrue();
                }
            });
        });
        assertThat(service("pricing-loader").path("restart").asText()).isEqualTo("no");
    }

    @Test
    void shouldShareTheTopicScriptAndOverridesWithKubernetes() {
        // The topics and the pricing overrides are the files k8s/ deploys, not compose-only variants
        String init = Rendered.list(service("kafka-init").path("volumes")).toString();
        assertThat(init).contains("./k8s/overlays/plain-kafka/create-topics.sh:");
        String loader = Rendered.list(service("pricing-loader").path("volumes")).toString();
        assertThat(loader).contains("./k8s/base/config/pricing-overrides.yaml:");
    }

    @Test
    void shouldRunTheAppRestricted() {
        JsonNode app = service("tokenmeter");
        assertThat(app.path("read_only").asBoolean()).isTrue();
        assertThat(app.path("user").asText()).isEqualTo("10001:10001");
        assertThat(Rendered.list(app.path("cap_drop")).toString()).contains("ALL");
        assertThat(app.path("stop_grace_period").asText()).isEqualTo("60s");
    }
}
