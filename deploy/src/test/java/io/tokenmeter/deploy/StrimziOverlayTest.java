package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Strimzi overlay: topics, users with the ACLs the app needs (and no more), security wiring. */
class StrimziOverlayTest {

    private static final String OVERLAY = "k8s/overlays/strimzi";

    private final Rendered render = Rendered.of(OVERLAY);

    private Map<String, String> config() {
        return render.data("ConfigMap", "tokenmeter-config");
    }

    private String clusterName() {
        return render.ofKind("KafkaTopic").get(0).path("metadata").path("labels").path("strimzi.io/cluster").asText();
    }

    private ObjectNode topic(String kafkaName) {
        return render.ofKind("KafkaTopic").stream()
                .filter(t -> kafkaName.equals(t.path("spec").path("topicName").asText(t.path("metadata").path("name").asText())))
                .findFirst().orElseThrow(() -> new AssertionError("no KafkaTopic for " + kafkaName));
    }

    @Test
    void shouldDeclareEveryConfiguredTopicWithItsCleanupPolicy() {
        // Given the topic names the app is configured with
        Map<String, String> topics = config().entrySet().stream()
                .filter(e -> e.getKey().startsWith("TOKENMETER_TOPIC_"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertThat(topics).hasSize(7);
        // Then each has a KafkaTopic; price cards and unpriced models are compacted, the rest deleted
        for (var e : topics.entrySet()) {
            JsonNode cfg = topic(e.getValue()).path("spec").path("config");
            String expected = Set.of("TOKENMETER_TOPIC_PRICING", "TOKENMETER_TOPIC_UNPRICED").contains(e.getKey())
                    ? "compact" : "delete";
            assertThat(cfg.path("cleanup.policy").asText()).as(e.getValue()).isEqualTo(expected);
        }
        assertThat(render.ofKind("KafkaTopic")).hasSize(7);
    }

    @Test
    void shouldAttachEveryStrimziResourceToTheClusterTheAppConnectsTo() {
        // Given the cluster named by the topics
        String cluster = clusterName();
        // Then users and topics name the same cluster, and the bootstrap address and CA are that cluster's
        for (String kind : List.of("KafkaTopic", "KafkaUser")) {
            for (ObjectNode o : render.ofKind(kind)) {
                assertThat(o.path("metadata").path("labels").path("strimzi.io/cluster").asText())
                        .as(SchemaValidator.describe(o)).isEqualTo(cluster);
            }
        }
        assertThat(config().get("TOKENMETER_BOOTSTRAP_SERVERS")).isEqualTo(cluster + "-kafka-bootstrap:9093");
        String caSecret = Rendered.byName(Rendered.podSpec(render.get("StatefulSet", "tokenmeter")).path("volumes"), "kafka-ca")
                .orElseThrow().path("secret").path("secretName").asText();
        assertThat(caSecret).isEqualTo(cluster + "-cluster-ca-cert");
    }

    private Acls acls(String user) {
        return Acls.of(render.get("KafkaUser", user));
    }

    @Test
    void shouldGrantTheTopologyWhatKafkaStreamsNeeds() {
        // Given the topology's user and its configuration
        Acls acls = acls("tokenmeter");
        Map<String, String> cfg = config();
        String app = cfg.get("TOKENMETER_APPLICATION_ID");
        // Then it reads its inputs
        for (String in : List.of(cfg.get("TOKENMETER_TOPIC_INPUT"), cfg.get("TOKENMETER_TOPIC_PRICING"))) {
            assertThat(acls.allows("topic", in, "Read")).as(in).isTrue();
            assertThat(acls.allows("topic", in, "Describe")).as(in).isTrue();
        }
        // And writes its outputs
        for (String key : List.of("ENRICHED", "DOCS", "METRICS", "DEAD_LETTERS", "UNPRICED")) {
            String out = cfg.get("TOKENMETER_TOPIC_" + key);
            assertThat(acls.allows("topic", out, "Write")).as(out).isTrue();
            assertThat(acls.allows("topic", out, "Describe")).as(out).isTrue();
        }
        // And manages its internal topics, named <application.id>-<name>-changelog|repartition
        for (String op : List.of("Create", "Read", "Write", "Describe", "DescribeConfigs", "Delete")) {
            assertThat(acls.allows("topic", app + "-KSTREAM-AGGREGATE-STATE-STORE-0000000003-changelog", op)).as(op).isTrue();
        }
        // And joins its consumer group, and writes transactionally (EOS v2 ids are <application.id>-<process>-<thread>)
        assertThat(acls.allows("group", app, "Read")).isTrue();
        assertThat(acls.allows("transactionalId", app + "-6f1c0d5e-3b7a-4f7e-9d2c-0a1b2c3d4e5f-1", "Write")).isTrue();
        assertThat(acls.allows("transactionalId", app + "-6f1c0d5e-3b7a-4f7e-9d2c-0a1b2c3d4e5f-1", "Describe")).isTrue();
    }

    @Test
    void shouldNotGrantTheTopologyMoreThanItNeeds() {
        Acls acls = acls("tokenmeter");
        Map<String, String> cfg = config();
        // It never writes its inputs, and nothing on other topics or groups
        assertThat(acls.allows("topic", cfg.get("TOKENMETER_TOPIC_INPUT"), "Write")).isFalse();
        assertThat(acls.allows("topic", cfg.get("TOKENMETER_TOPIC_PRICING"), "Write")).isFalse();
        assertThat(acls.allows("topic", "payments", "Read")).isFalse();
        assertThat(acls.allows("group", "other-app", "Read")).isFalse();
        assertThat(acls.rules()).noneMatch(r -> r.type().equals("cluster"));
    }

    @Test
    void shouldGrantThePricingLoaderOnlyThePriceTopicAndItsTransactionalId() {
        Acls acls = acls("tokenmeter-pricing-loader");
        String pricing = config().get("TOKENMETER_TOPIC_PRICING");
        for (String op : List.of("Read", "Write", "Describe", "DescribeConfigs", "Create")) {
            assertThat(acls.allows("topic", pricing, op)).as(op).isTrue();
        }
        assertThat(acls.allows("transactionalId", "tokenmeter-pricing-loader", "Write")).isTrue();
        assertThat(acls.allows("topic", config().get("TOKENMETER_TOPIC_INPUT"), "Read")).isFalse();
        assertThat(acls.allows("topic", pricing, "Delete")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"StatefulSet/tokenmeter/tokenmeter", "CronJob/tokenmeter-pricing-loader/tokenmeter-pricing-loader"})
    void shouldAuthenticateEachWorkloadAsItsOwnKafkaUser(String spec) {
        // Given a workload and the KafkaUser it should be
        String[] parts = spec.split("/");
        JsonNode pod = Rendered.podSpec(render.get(parts[0], parts[1]));
        JsonNode container = pod.path("containers").path(0);
        // Then its JAAS config comes from that user's Secret (the User Operator names it after the user)
        JsonNode jaas = Rendered.byName(container.path("env"), "TOKENMETER_KAFKA_SASL_JAAS_CONFIG").orElseThrow();
        assertThat(jaas.path("valueFrom").path("secretKeyRef").path("name").asText()).isEqualTo(parts[2]);
        assertThat(jaas.path("valueFrom").path("secretKeyRef").path("key").asText()).isEqualTo("sasl.jaas.config");
        assertThat(render.get("KafkaUser", parts[2]).path("spec").path("authentication").path("type").asText())
                .isEqualTo("scram-sha-512");
        // And it trusts the cluster CA where the truststore setting points
        Map<String, String> security = render.data("Secret", "tokenmeter-kafka");
        assertThat(security).containsEntry("TOKENMETER_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
                .containsEntry("TOKENMETER_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
                .containsEntry("TOKENMETER_KAFKA_SSL_TRUSTSTORE_TYPE", "PEM");
        String truststore = security.get("TOKENMETER_KAFKA_SSL_TRUSTSTORE_LOCATION");
        JsonNode mount = Rendered.byName(container.path("volumeMounts"), "kafka-ca").orElseThrow();
        assertThat(truststore).isEqualTo(mount.path("mountPath").asText() + "/ca.crt");
    }

    @Test
    void shouldShipTheAlertsPrometheusRule() {
        // Given the PrometheusRule alerts/ generates
        ObjectNode shipped = Yaml.single(Repo.path(SharedAssets.PROMETHEUS_RULE));
        // Then the overlay renders it unchanged (but for the namespace)
        ObjectNode rendered = render.get("PrometheusRule", shipped.path("metadata").path("name").asText());
        assertThat(rendered.path("spec")).isEqualTo(shipped.path("spec"));
    }

    @Test
    void shouldRunTheOpenSearchSinkOnKafkaConnect() {
        // Given the Kafka Connect resources connectors/ ships
        List<ObjectNode> connects = render.ofKind("KafkaConnect");
        List<ObjectNode> connectors = render.ofKind("KafkaConnector");
        assertThat(connects).as("KafkaConnect of k8s/overlays/strimzi").hasSize(1);
        assertThat(connectors).as("KafkaConnector from " + SharedAssets.KAFKA_CONNECTOR).isNotEmpty();
        String connect = connects.get(0).path("metadata").path("name").asText();
        // Then each connector runs on that Connect cluster and reads the docs topic
        for (ObjectNode connector : connectors) {
            assertThat(connector.path("metadata").path("labels").path("strimzi.io/cluster").asText())
                    .as(SchemaValidator.describe(connector)).isEqualTo(connect);
        }
        assertThat(connectors).anyMatch(c -> c.path("spec").path("config").path("topics").asText()
                .contains(config().get("TOKENMETER_TOPIC_DOCS")));
        // And Connect may read what the connector reads: the docs topic and its consumer group
        Acls acls = acls(connect);
        for (ObjectNode connector : connectors) {
            String group = "connect-" + connector.path("metadata").path("name").asText();
            assertThat(acls.allows("group", group, "Read")).as(group).isTrue();
            for (String topic : connector.path("spec").path("config").path("topics").asText().split(",")) {
                assertThat(acls.allows("topic", topic.strip(), "Read")).as(topic).isTrue();
            }
        }
        // And it authenticates as that user, trusting the cluster CA
        JsonNode spec = connects.get(0).path("spec");
        assertThat(spec.path("authentication").path("username").asText()).isEqualTo(connect);
        assertThat(spec.path("bootstrapServers").asText()).isEqualTo(config().get("TOKENMETER_BOOTSTRAP_SERVERS"));
        assertThat(acls.allows("group", spec.path("groupId").asText(), "Read")).isTrue();
        for (String storage : List.of("configStorageTopic", "offsetStorageTopic", "statusStorageTopic")) {
            assertThat(acls.allows("topic", spec.path(storage).asText(), "Write")).as(storage).isTrue();
        }
    }

    @Test
    void shouldReadTheOpenSearchCredentialsFromASecretConnectMayRead() {
        // Given the connector's secret references ${secrets:<namespace>/<name>:<key>}
        String namespace = render.ofKind("KafkaConnector").get(0).path("metadata").path("namespace").asText();
        for (ObjectNode connector : render.ofKind("KafkaConnector")) {
            connector.path("spec").path("config").fields().forEachRemaining(e -> {
                var m = java.util.regex.Pattern.compile("\\$\\{secrets:([^/]+)/([^:]+):[^}]+}").matcher(e.getValue().asText());
                while (m.find()) {
                    // Then each is in the Connect namespace and the Role grants exactly that Secret
                    assertThat(m.group(1)).as(e.getKey()).isEqualTo(namespace);
                    String secret = m.group(2);
                    assertThat(render.ofKind("Role")).anyMatch(r -> Rendered.list(r.path("rules")).stream()
                            .anyMatch(rule -> Rendered.list(rule.path("resourceNames")).stream()
                                    .anyMatch(n -> n.asText().equals(secret))));
                }
            });
        }
        String connect = render.ofKind("KafkaConnect").get(0).path("metadata").path("name").asText();
        JsonNode binding = render.ofKind("RoleBinding").get(0);
        assertThat(binding.path("subjects").path(0).path("name").asText()).isEqualTo(connect + "-connect");
    }

    /**
     * Strimzi simple-authorization ACL rules and their meaning: literal or prefix names, All covers every
     * operation. Implied operations (Read implies Describe in Kafka) are not modelled: the overlay lists them.
     */
    record Acls(List<Rule> rules) {
        record Rule(String type, String name, String patternType, Set<String> operations) {
        }

        static Acls of(JsonNode kafkaUser) {
            return new Acls(Rendered.list(kafkaUser.path("spec").path("authorization").path("acls")).stream()
                    .map(a -> new Rule(a.path("resource").path("type").asText(),
                            a.path("resource").path("name").asText(),
                            a.path("resource").path("patternType").asText("literal"),
                            Rendered.list(a.path("operations")).stream().map(JsonNode::asText).collect(Collectors.toSet())))
                    .toList());
        }

        boolean allows(String type, String name, String operation) {
            return rules.stream().anyMatch(r -> r.type.equals(type)
                    && (r.patternType.equals("prefix") ? name.startsWith(r.name) : name.equals(r.name))
                    && (r.operations.contains(operation) || r.operations.contains("All")));
        }
    }
}
