package io.tokenmeter.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * The in-JVM KRaft broker with its client listener on SASL_SSL, as a Strimzi cluster's TLS listener
 * with {@code authentication: scram-sha-512} and {@code authorization: simple}: TLS with a
 * certificate made by keytool, SCRAM-SHA-512 users created through the Admin API, the
 * StandardAuthorizer denying what no ACL allows, and the ACLs of
 * {@code k8s/overlays/strimzi/kafkausers.yaml} applied as they are written there.
 *
 * <p>How: {@code KafkaClusterTestKit} 4.3 accepts only PLAINTEXT and SASL_PLAINTEXT listeners and
 * pre-configures SASL_PLAINTEXT with PLAIN only (settings it puts only where none is given), so the
 * broker is declared SASL_PLAINTEXT and every setting that matters is given here, the listener's
 * security protocol map (SASL_SSL) first. The client listener enables PLAIN (the broker's own inter-broker identity and the
 * test's admin, both super users) and SCRAM-SHA-512 (the application's users): SCRAM credentials
 * live in the cluster metadata and can only be created once the broker runs, and the broker must
 * reach itself (transaction markers) before that. The controller listener stays PLAINTEXT inside
 * the JVM; its principal ({@code ANONYMOUS}) is a super user so that the broker may register.
 */
final class SecuredBroker extends Broker {
  static final String ADMIN = "admin";
  static final String APP_USER = "tokenmeter";
  static final String LOADER_USER = "tokenmeter-pricing-loader";

  final Tls tls;
  final String adminPassword;
  final Map<String, String> passwords = new HashMap<>();

  private SecuredBroker(Broker started, Tls tls, String adminPassword) {
    super(started.cluster);
    this.tls = tls;
    this.adminPassword = adminPassword;
  }

  static SecuredBroker start() throws Exception {
    Tls tls = Tls.generate("kafka");
    String adminPassword = "admin-" + java.util.UUID.randomUUID();
    // TestKitNodes 4.3 accepts only PLAINTEXT and SASL_PLAINTEXT; the listener map below makes it SASL_SSL.
    TestKitNodes.Builder nodes = new TestKitNodes.Builder().setBrokerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT);
    TestKitNodes built = nodes.build();
    String name = built.brokerListenerName().value();
    String listener = "listener.name." + name.toLowerCase(Locale.ROOT);
    Map<String, String> p = new HashMap<>();
    p.put("listener.security.protocol.map", name + ":SASL_SSL," + built.controllerListenerName().value() + ":PLAINTEXT");
    p.put("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512");
    p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
    p.put(listener + ".plain.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
        + " username=\"" + ADMIN + "\" password=\"" + adminPassword + "\" user_" + ADMIN + "=\"" + adminPassword + "\";");
    p.put(listener + ".scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    p.put("ssl.keystore.type", "PKCS12");
    p.put("ssl.keystore.location", tls.keystore.toString());
    p.put("ssl.keystore.password", tls.password);
    p.put("ssl.key.password", tls.password);
    // the broker is a TLS client of itself (inter-broker): it trusts its own certificate
    p.put("ssl.truststore.type", "PKCS12");
    p.put("ssl.truststore.location", tls.truststore.toString());
    p.put("ssl.truststore.password", tls.password);
    p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    p.put("allow.everyone.if.no.acl.found", "false");
    p.put("super.users", "User:" + ADMIN + ";User:ANONYMOUS");
    SecuredBroker b = new SecuredBroker(Broker.start(nodes, p), tls, adminPassword);
    b.createUser(APP_USER);
    b.createUser(LOADER_USER);
    b.applyAcls(Path.of(System.getProperty("tokenmeter.repo.dir", ".."), "k8s", "overlays", "strimzi", "kafkausers.yaml"));
    return b;
  }

  /** The test's own clients: the PLAIN super user over TLS. */
  @Override
  Map<String, Object> clientConfig() {
    Map<String, Object> c = new HashMap<>(super.clientConfig());
    c.putAll(saslSsl("PLAIN", "org.apache.kafka.common.security.plain.PlainLoginModule", ADMIN, adminPassword));
    c.put("ssl.truststore.type", "PKCS12");
    c.put("ssl.truststore.location", tls.truststore.toString());
    c.put("ssl.truststore.password", tls.password);
    return c;
  }

  private static Map<String, String> saslSsl(String mechanism, String loginModule, String user, String password) {
    return Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", mechanism,
        "sasl.jaas.config", loginModule + " required username=\"" + user + "\" password=\"" + password + "\";");
  }

  /** The application's settings exactly as the Strimzi overlay sets them (k8s/overlays/strimzi/kustomization.yaml). */
  @Override
  Map<String, String> appClientSettings() {
    return userSettings(APP_USER, passwords.get(APP_USER));
  }

  /** A SCRAM user's settings, with the broker's certificate as PEM truststore (the Strimzi overlay's way). */
  Map<String, String> userSettings(String user, String password) {
    Map<String, String> c = new HashMap<>(saslSsl("SCRAM-SHA-512", "org.apache.kafka.common.security.scram.ScramLoginModule",
        user, password));
    c.put("ssl.truststore.type", "PEM");
    c.put("ssl.truststore.location", tls.certificatePem.toString());
    return c;
  }

  private void createUser(String user) throws Exception {
    String password = user + "-" + java.util.UUID.randomUUID();
    passwords.put(user, password);
    try (Admin admin = admin()) {
      admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
          new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all().get();
    }
    // The credential reaches the broker through the metadata log: wait until it authenticates.
    Map<String, Object> c = new HashMap<>(userSettings(user, password));
    c.put("bootstrap.servers", bootstrapServers());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try (Admin as = Admin.create(c)) {
        as.describeCluster().clusterId().get();
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("SCRAM user " + user + " cannot authenticate", e);
        }
        Thread.sleep(200);
      }
    }
  }

  /** Applies the ACLs of the Strimzi KafkaUser resources in {@code file}, as the User Operator would. */
  private void applyAcls(Path file) throws Exception {
    List<AclBinding> bindings = new ArrayList<>();
    YAMLMapper yaml = new YAMLMapper();
    try (var docs = yaml.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
      while (docs.hasNext()) {
        JsonNode user = docs.next();
        if (user == null || !"KafkaUser".equals(user.path("kind").asText())) {
          continue;
        }
        String principal = "User:" + user.path("metadata").path("name").asText();
        for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
          JsonNode r = acl.path("resource");
          ResourceType type = switch (r.path("type").asText()) {
            case "topic" -> ResourceType.TOPIC;
            case "group" -> ResourceType.GROUP;
            case "transactionalId" -> ResourceType.TRANSACTIONAL_ID;
            case "cluster" -> ResourceType.CLUSTER;
            default -> throw new IllegalArgumentException(file + ": resource type " + r.path("type"));
          };
          ResourcePattern pattern = new ResourcePattern(type, type == ResourceType.CLUSTER ? "kafka-cluster" : r.path("name").asText(),
              "prefix".equals(r.path("patternType").asText("literal")) ? PatternType.PREFIXED : PatternType.LITERAL);
          List<String> operations = new ArrayList<>();
          acl.path("operations").forEach(o -> operations.add(o.asText()));
          if (acl.has("operation")) {
            operations.add(acl.path("operation").asText());
          }
          AclPermissionType permission = "deny".equals(acl.path("type").asText("allow")) ? AclPermissionType.DENY : AclPermissionType.ALLOW;
          for (String op : operations) {
            bindings.add(new AclBinding(pattern, new AccessControlEntry(principal, acl.path("host").asText("*"),
                AclOperation.valueOf(op.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT)), permission)));
          }
        }
      }
    }
    if (bindings.isEmpty()) {
      throw new IllegalStateException(file + " holds no KafkaUser ACLs");
    }
    try (Admin admin = admin()) {
      admin.createAcls(bindings).all().get();
    }
    System.out.printf("  secured broker: %d ACL bindings from %s applied%n", bindings.size(), file.getFileName());
  }
}
