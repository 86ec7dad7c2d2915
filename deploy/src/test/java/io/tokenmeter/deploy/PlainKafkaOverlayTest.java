package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plain-Kafka overlay: a Job creates the topics with the script compose uses too. */
class PlainKafkaOverlayTest {

    private static final Path SCRIPT = Repo.path("k8s/overlays/plain-kafka/create-topics.sh");

    private final Rendered render = Rendered.of("k8s/overlays/plain-kafka");

    @Test
    void shouldCreateTheTopicsWithAJobRunningTheScript() throws IOException {
        // Given the Job and the ConfigMap it mounts
        JsonNode job = render.get("Job", "tokenmeter-create-topics");
        JsonNode pod = Rendered.podSpec(job);
        JsonNode container = pod.path("containers").path(0);
        assertThat(Rendered.list(container.path("command")).toString()).contains("/opt/tokenmeter/create-topics.sh");
        String configMap = Rendered.byName(pod.path("volumes"), "script").orElseThrow()
                .path("configMap").path("name").asText();
        // Then the ConfigMap holds the script file as it is in the repository
        assertThat(Rendered.nameMatches(configMap, "tokenmeter-create-topics")).isTrue();
        assertThat(render.data("ConfigMap", "tokenmeter-create-topics").get("create-topics.sh"))
                .isEqualTo(Files.readString(SCRIPT));
        // And the Job reads the same topic names and client security as the app
        assertThat(Rendered.list(container.path("envFrom")).toString())
                .contains("tokenmeter-config").contains("tokenmeter-kafka");
        // And runs the Kafka version the build uses, restricted like the app
        assertThat(container.path("image").asText()).isEqualTo("apache/kafka:" + Poms.kafkaVersion());
        assertThat(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(Rendered.podLabels(job).path("app.kubernetes.io/part-of").asText()).isEqualTo("tokenmeter");
    }

    @Test
    void shouldCreateEveryTopicWithItsCleanupPolicyAndPassTheClientSecurity(@TempDir Path tmp) throws Exception {
        // Given a stand-in kafka-topics.sh that records its arguments and the client config it is given
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path log = tmp.resolve("calls.log");
        Path fake = bin.resolve("kafka-topics.sh");
        Files.writeString(fake, """
                #!/usr/bin/env bash
                echo "$*" >> "%s"
                while [ $# -gt 0 ]; do
                  if [ "$1" = "--command-config" ]; then cp "$2" "%s"; fi
                  shift
                done
                """.formatted(log, tmp.resolve("client.properties")));
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> config = render.data("ConfigMap", "tokenmeter-config");
        // When the script runs with the overlay's configuration and a SASL client setting
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString()).redirectErrorStream(true);
        pb.environment().putAll(config);
        pb.environment().putAll(render.data("Secret", "tokenmeter-kafka"));
        pb.environment().put("KAFKA_BIN", bin.toString());
        pb.environment().put("TMPDIR", tmp.toString());
        pb.environment().put("TOPICS_REPLICATION_FACTOR", "3");
        pb.environment().put("TOKENMETER_KAFKA_SASL_JAAS_CONFIG",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p=q\";");
        Process process = pb.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as(output).isZero();
        // Then every configured topic is created idempotently with its cleanup policy
        List<String> creates = new ArrayList<>(Files.readAllLines(log).stream().filter(l -> l.contains("--create")).toList());
        assertThat(creates).hasSize(7);
        config.forEach((name, topic) -> {
            if (!name.startsWith("TOKENMETER_TOPIC_")) {
                return;
            }
            String call = creates.stream().filter(c -> c.contains("--topic " + topic + " ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no create for " + topic + ": " + creates));
            String policy = name.equals("TOKENMETER_TOPIC_PRICING") || name.equals("TOKENMETER_TOPIC_UNPRICED")
                    ? "compact" : "delete";
            assertThat(call).contains("--if-not-exists").contains("cleanup.policy=" + policy)
                    .contains("--replication-factor 3").contains("min.insync.replicas=2")
                    .contains("--bootstrap-server " + config.get("TOKENMETER_BOOTSTRAP_SERVERS"));
        });
        // And the client properties carry the TOKENMETER_KAFKA_* settings, values kept whole
        assertThat(Files.readAllLines(tmp.resolve("client.properties")))
                .contains("security.protocol=PLAINTEXT")
                .contains("sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p=q\";");
        // And the temporary client config is removed
        try (var left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("tokenmeter-client"));
        }
    }
}
