package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the base promises a platform team: state, probes, shutdown, security, scraping, policies. */
class BaseManifestsTest {

    private final Rendered base = Rendered.of("k8s/base");

    private JsonNode statefulSet() {
        return base.get("StatefulSet", "tokenmeter");
    }

    private JsonNode topologyContainer() {
        return Rendered.byName(Rendered.podSpec(statefulSet()).path("containers"), "tokenmeter").orElseThrow();
    }

    @Test
    void shouldKeepTheStateDirectoryOnAPersistentVolume() {
        // Given the StatefulSet and the configuration
        JsonNode sts = statefulSet();
        String stateDir = base.data("ConfigMap", "tokenmeter-config").get("TOKENMETER_STATE_DIR");
        // Then TOKENMETER_STATE_DIR is a mount of a volumeClaimTemplate
        assertThat(stateDir).isEqualTo("/var/lib/tokenmeter");
        String claim = sts.path("spec").path("volumeClaimTemplates").path(0).path("metadata").path("name").asText();
        JsonNode mount = Rendered.byName(topologyContainer().path("volumeMounts"), claim).orElseThrow();
        assertThat(mount.path("mountPath").asText()).isEqualTo(stateDir);
        assertThat(sts.path("spec").path("serviceName").asText()).isEqualTo("tokenmeter-headless");
        assertThat(base.get("Service", "tokenmeter-headless").path("spec").path("clusterIP").asText()).isEqualTo("None");
    }

    @Test
    void shouldProbeTheAppsHealthEndpointsOnTheNamedHttpPort() {
        JsonNode c = topologyContainer();
        assertThat(Rendered.byName(c.path("ports"), "http").orElseThrow().path("containerPort").asInt()).isEqualTo(8080);
        assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/health/ready");
        assertThat(c.path("readinessProbe").path("httpGet").path("port").asText()).isEqualTo("http");
        assertThat(c.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/health/live");
        assertThat(c.path("livenessProbe").path("httpGet").path("port").asText()).isEqualTo("http");
        assertThat(base.data("ConfigMap", "tokenmeter-config")).containsEntry("TOKENMETER_HTTP_PORT", "8080");
    }

    @Test
    void shouldShutDownGracefully() {
        // The app closes Kafka Streams on SIGTERM: at least 60 s before SIGKILL, and java as PID 1 (no shell).
        JsonNode pod = Rendered.podSpec(statefulSet());
        assertThat(pod.path("terminationGracePeriodSeconds").asInt()).isGreaterThanOrEqualTo(60);
        assertThat(topologyContainer().has("command")).as("the image's exec-form entrypoint runs java").isFalse();
        assertThat(topologyContainer().path("args").get(0).asText()).isEqualTo("run");
    }

    @Test
    void shouldBoundResourcesAndSizeTheHeapFromTheLimit() {
        JsonNode c = topologyContainer();
        for (String bound : List.of("requests", "limits")) {
            assertThat(c.path("resources").path(bound).path("cpu").asText()).as(bound).isNotEmpty();
            assertThat(c.path("resources").path(bound).path("memory").asText()).as(bound).isNotEmpty();
        }
        JsonNode javaOptions = Rendered.byName(c.path("env"), "JAVA_TOOL_OPTIONS").orElseThrow();
        assertThat(javaOptions.path("value").asText()).contains("-XX:MaxRAMPercentage=75");
    }

    @ParameterizedTest
    @ValueSource(strings = {"StatefulSet/tokenmeter", "CronJob/tokenmeter-pricing-loader"})
    void shouldRunRestricted(String workload) {
        // Given a workload of the base
        String[] kn = workload.split("/");
        JsonNode pod = Rendered.podSpec(base.get(kn[0], kn[1]));
        // Then pod and containers follow the "restricted" Pod Security Standard and more
        assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.path("securityContext").path("runAsUser").asInt()).isGreaterThan(0);
        assertThat(pod.path("securityContext").path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");
        assertThat(pod.path("automountServiceAccountToken").asBoolean(true)).isFalse();
        for (JsonNode c : Rendered.list(pod.path("containers"))) {
            JsonNode sc = c.path("securityContext");
            assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).as(c.path("name").asText()).isTrue();
            assertThat(sc.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
            assertThat(Rendered.list(sc.path("capabilities").path("drop"))).extracting(JsonNode::asText).containsExactly("ALL");
            // A read-only root needs a writable /tmp for the JVM (and RocksDB's native library).
            JsonNode tmp = Rendered.list(c.path("volumeMounts")).stream()
                    .filter(m -> m.path("mountPath").asText().equals("/tmp")).findFirst().orElseThrow();
            JsonNode volume = Rendered.byName(pod.path("volumes"), tmp.path("name").asText()).orElseThrow();
            assertThat(volume.has("emptyDir")).isTrue();
        }
    }

    @Test
    void shouldKeepAtMostOneInstanceDownForVoluntaryDisruptions() {
        JsonNode pdb = base.get("PodDisruptionBudget", "tokenmeter");
        assertThat(pdb.path("spec").path("maxUnavailable").asInt()).isEqualTo(1);
        assertThat(Rendered.selects(pdb.path("spec").path("selector").path("matchLabels"),
                Rendered.podLabels(statefulSet()))).isTrue();
    }

    @Test
    void shouldScrapeMetricsThroughTheServiceMonitor() {
        // Given the ServiceMonitor and the metrics Service
        JsonNode monitor = base.get("ServiceMonitor", "tokenmeter");
        JsonNode service = base.get("Service", "tokenmeter-metrics");
        // Then the monitor selects the Service, on a port the Service has, at /metrics
        assertThat(Rendered.selects(monitor.path("spec").path("selector").path("matchLabels"),
                service.path("metadata").path("labels"))).isTrue();
        assertThat(Rendered.selects(monitor.path("spec").path("selector").path("matchLabels"),
                base.get("Service", "tokenmeter-headless").path("metadata").path("labels")))
                .as("only the metrics Service, or each pod is scraped twice").isFalse();
        JsonNode endpoint = monitor.path("spec").path("endpoints").path(0);
        assertThat(endpoint.path("path").asText()).isEqualTo("/metrics");
        assertThat(Rendered.byName(service.path("spec").path("ports"), endpoint.path("port").asText())).isPresent();
        // And the Service reaches the topology pods on their http port
        assertThat(Rendered.selects(service.path("spec").path("selector"), Rendered.podLabels(statefulSet()))).isTrue();
        assertThat(service.path("spec").path("ports").path(0).path("targetPort").asText()).isEqualTo("http");
    }

    @Test
    void shouldAllowOnlyKafkaDnsAndMonitoringTraffic() {
        List<ObjectNode> policies = base.ofKind("NetworkPolicy");
        // Egress of every tokenmeter pod: DNS and Kafka
        JsonNode all = base.get("NetworkPolicy", "tokenmeter-default");
        assertThat(Rendered.selects(all.path("spec").path("podSelector").path("matchLabels"),
                Rendered.podLabels(statefulSet()))).isTrue();
        assertThat(Rendered.selects(all.path("spec").path("podSelector").path("matchLabels"),
                Rendered.podLabels(base.get("CronJob", "tokenmeter-pricing-loader")))).isTrue();
        assertThat(Rendered.list(all.path("spec").path("policyTypes"))).extracting(JsonNode::asText)
                .containsExactlyInAnyOrder("Ingress", "Egress");
        String egress = all.path("spec").path("egress").toString();
        assertThat(egress).contains("\"port\":53").contains("\"port\":9092").contains("\"port\":9093");
        // Ingress to 8080 from the monitoring namespace only
        JsonNode ingress = base.get("NetworkPolicy", "tokenmeter-metrics-ingress").path("spec").path("ingress").path(0);
        assertThat(ingress.path("from").path(0).path("namespaceSelector").path("matchLabels")
                .path("kubernetes.io/metadata.name").asText()).isEqualTo("monitoring");
        assertThat(ingress.path("ports").path(0).path("port").asInt()).isEqualTo(8080);
        assertThat(policies).hasSize(3);
    }

    @Test
    void shouldRunThePricingLoaderDailyWithItsOverrides() {
        JsonNode cron = base.get("CronJob", "tokenmeter-pricing-loader");
        assertThat(cron.path("spec").path("concurrencyPolicy").asText()).isEqualTo("Forbid");
        JsonNode pod = Rendered.podSpec(cron);
        JsonNode c = pod.path("containers").path(0);
        assertThat(Rendered.list(c.path("command"))).extracting(JsonNode::asText)
                .containsExactly("java", "-jar", "/app/pricing-loader.jar");
        List<String> args = Rendered.list(c.path("args")).stream().map(JsonNode::asText).toList();
        assertThat(args).contains("--source", "--overrides");
        String overridesPath = args.get(args.indexOf("--overrides") + 1);
        // The overrides file is a key of the overrides ConfigMap, mounted where the argument points
        String volumeName = Rendered.list(c.path("volumeMounts")).stream()
                .filter(m -> overridesPath.startsWith(m.path("mountPath").asText() + "/"))
                .findFirst().orElseThrow().path("name").asText();
        JsonNode volume = Rendered.byName(pod.path("volumes"), volumeName).orElseThrow();
        String configMap = volume.path("configMap").path("name").asText();
        assertThat(Rendered.nameMatches(configMap, "tokenmeter-pricing-overrides")).isTrue();
        assertThat(base.data("ConfigMap", "tokenmeter-pricing-overrides"))
                .containsKey(overridesPath.substring(overridesPath.lastIndexOf('/') + 1));
    }

    @Test
    void shouldResolveEveryConfigMapAndSecretReferenceOfTheBase() {
        // envFrom and volumes name generated objects: kustomize must have rewritten them to the hashed names
        for (String workload : List.of("StatefulSet/tokenmeter", "CronJob/tokenmeter-pricing-loader")) {
            String[] kn = workload.split("/");
            JsonNode pod = Rendered.podSpec(base.get(kn[0], kn[1]));
            for (JsonNode c : Rendered.list(pod.path("containers"))) {
                for (JsonNode from : Rendered.list(c.path("envFrom"))) {
                    if (from.has("configMapRef")) {
                        String name = from.path("configMapRef").path("name").asText();
                        assertThat(base.ofKind("ConfigMap")).as(workload + " " + name)
                                .anyMatch(o -> o.path("metadata").path("name").asText().equals(name));
                    } else {
                        String name = from.path("secretRef").path("name").asText();
                        assertThat(base.ofKind("Secret")).as(workload + " " + name)
                                .anyMatch(o -> o.path("metadata").path("name").asText().equals(name));
                    }
                }
            }
        }
    }

    @Test
    void shouldConfigureEveryTopicOfTheContract() throws IOException {
        // Given the topology's configuration variables in docs/CONTRACTS.md
        Map<String, String> config = base.data("ConfigMap", "tokenmeter-config");
        // Then the ConfigMap names every topic with BRIEF section 4's default
        assertThat(config).containsEntry("TOKENMETER_TOPIC_INPUT", "otlp_spans")
                .containsEntry("TOKENMETER_TOPIC_PRICING", "llm-pricing")
                .containsEntry("TOKENMETER_TOPIC_ENRICHED", "llm-spans-enriched")
                .containsEntry("TOKENMETER_TOPIC_DOCS", "llm-span-docs")
                .containsEntry("TOKENMETER_TOPIC_METRICS", "llm-metrics")
                .containsEntry("TOKENMETER_TOPIC_DEAD_LETTERS", "llm-dead-letters")
                .containsEntry("TOKENMETER_TOPIC_UNPRICED", "llm-unpriced-models")
                .containsEntry("TOKENMETER_PROCESSING_GUARANTEE", "exactly_once_v2");
        // And every variable it sets is one the contract defines
        String contracts = Files.readString(Repo.path("docs/CONTRACTS.md"));
        for (String name : config.keySet()) {
            String documented = name.startsWith("TOKENMETER_TOPIC_") ? "TOKENMETER_TOPIC_INPUT" : name;
            assertThat(contracts).as(name).contains("`" + documented + "`");
        }
    }

    @Test
    void shouldTagTheImageWithTheProjectVersion() throws IOException {
        // Given the root POM's version
        Matcher m = Pattern.compile("<artifactId>tokenmeter-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Repo.path("pom.xml")));
        assertThat(m.find()).isTrue();
        // Then the base deploys that version of the tokenmeter image
        assertThat(topologyContainer().path("image").asText()).isEqualTo("tokenmeter:" + m.group(1));
    }
}
