package io.tokenmeter.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.app.TokenmeterConfig;
import io.tokenmeter.kafka.KafkaClientSettings;
import io.tokenmeter.testing.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Scenario 8: a broker with SASL/SCRAM-SHA-512 over TLS and the ACLs of
 * {@code k8s/overlays/strimzi/kafkausers.yaml}. The pricing-loader (its own JVM, configured only
 * by {@code TOKENMETER_*} variables, as the CronJob is) and the topology (likewise, as the
 * StatefulSet is) connect with the documented settings, under their own users, on the default
 * topic names and application id the ACLs name; the verifier's checks hold there too. Wrong
 * credentials and an untrusted certificate give a clear error and a non-zero exit.
 */
@Tag("long")
class SecuredKafkaIT {
  private static SecuredBroker broker;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = SecuredBroker.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  /** The default topic names (BRIEF section 4): the ones the documented ACLs grant. */
  static Map<String, String> defaultTopics() {
    Map<String, String> names = new LinkedHashMap<>();
    for (String t : List.of(TokenmeterConfig.TOPIC_INPUT, TokenmeterConfig.TOPIC_PRICING, TokenmeterConfig.TOPIC_ENRICHED,
        TokenmeterConfig.TOPIC_DOCS, TokenmeterConfig.TOPIC_METRICS, TokenmeterConfig.TOPIC_DEAD_LETTERS,
        TokenmeterConfig.TOPIC_UNPRICED)) {
      names.put(t, (String) TokenmeterConfig.DEFINITION.configKeys().get(t).defaultValue);
    }
    return names;
  }

  @Test
  void shouldRunLoaderAndTopologyWithScramOverTlsUnderTheDocumentedAcls() throws Exception {
    // Given the topics (created by the operator, here the admin)
    Scenario s = Scenario.create("secured", broker, 2, defaultTopics(), "tokenmeter");

    // When pricing-loader loads the August snapshot as user tokenmeter-pricing-loader
    Loader august = loader(broker.userSettings(SecuredBroker.LOADER_USER, broker.passwords.get(SecuredBroker.LOADER_USER)),
        "--source", SharedData.pricing("litellm-2025-08-07.json").toString());
    assertThat(august.exit).as("pricing-loader exit code; stderr:\n%s", august.err).isZero();
    long written = august.written();

    // and the topology runs as user tokenmeter (with the suite's own cards too) while traffic flows
    Run.with(s, 8, (w, v, app) -> {
      PricingTopicIT.awaitMetric(app, "tokenmeter_price_cards_loaded", written + 2);
      try (Runs.Traffic traffic = new Runs.Traffic(w, 4)) {
        Runs.awaitProgress(s, app, 40, Duration.ofSeconds(90));
      }
      Runs.awaitAllSpans(v, w, Runs.DRAIN);
      Runs.closeWindows(v, w, Duration.ofSeconds(60));
      app.stop();
      String log = app.logText();
      assertThat(log).doesNotContain(broker.passwords.get(SecuredBroker.APP_USER));
      assertThat(log).doesNotContain("TopicAuthorizationException").doesNotContain("GroupAuthorizationException")
          .doesNotContain("TransactionalIdAuthorizationException").doesNotContain("ClusterAuthorizationException");
      System.out.printf("  secured: pricing-loader wrote %d cards as %s; topology ran as %s%n", written,
          SecuredBroker.LOADER_USER, SecuredBroker.APP_USER);
      // Then the verifier's checks hold on the secured broker too
      v.verify("8 (SASL/SCRAM-SHA-512 over TLS, documented ACLs)", w).assertExact();
    });
  }

  @Test
  void shouldFailClearlyOnWrongCredentialsOrAnUntrustedCertificate() throws Exception {
    Scenario s = Scenario.create("secured-wrong", broker, 1, defaultTopics(), "tokenmeter");
    Map<String, String> wrong = broker.userSettings(SecuredBroker.APP_USER, "not-the-password");

    // The topology with a wrong password exits non-zero, saying why
    Map<String, String> env = s.environment();
    wrong.forEach((k, val) -> env.put(envVar(k), val));
    try (AppProcess app = AppProcess.start("secured-wrong-password", env, s.newStateDir(), AppProcess.DEFAULT_JVM)) {
      Integer exit = app.awaitExit(Duration.ofSeconds(120));
      String log = app.logText();
      System.out.printf("  topology with a wrong password: exit %s; %s%n", exit, firstLine(log, "Authentication failed"));
      assertThat(log).as("log " + app.log).contains("Authentication failed");
      assertThat(exit).as("exit code of the topology with a wrong password (null: still running after 120 s); log " + app.log)
          .isNotNull().isNotZero();
    }

    // pricing-loader with a wrong password exits 3 (Kafka failure), saying why
    Loader loader = loader(broker.userSettings(SecuredBroker.LOADER_USER, "not-the-password"),
        "--source", SharedData.pricing("litellm-2025-08-07.json").toString(), "--timeout", "20");
    System.out.printf("  pricing-loader with a wrong password: exit %d; %s%n", loader.exit, firstLine(loader.err, "Authentication failed"));
    assertThat(loader.exit).isEqualTo(3);
    assertThat(loader.err).contains("Authentication failed");

    // pricing-loader that does not trust the broker's certificate exits 3, saying why
    Tls other = Tls.generate("other-ca");
    Map<String, String> untrusted = broker.userSettings(SecuredBroker.LOADER_USER, broker.passwords.get(SecuredBroker.LOADER_USER));
    untrusted.put("ssl.truststore.location", other.certificatePem.toString());
    Loader tls = loader(untrusted, "--source", SharedData.pricing("litellm-2025-08-07.json").toString(), "--timeout", "20");
    System.out.printf("  pricing-loader not trusting the broker certificate: exit %d; %s%n", tls.exit, firstLine(tls.err, "SSL handshake failed"));
    assertThat(tls.exit).isEqualTo(3);
    assertThat(tls.err).containsIgnoringCase("SSL handshake failed");
  }

  static String envVar(String kafkaProperty) {
    return KafkaClientSettings.ENV_PREFIX + kafkaProperty.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  static String firstLine(String text, String containing) {
    return text.lines().filter(l -> l.contains(containing)).findFirst().orElse("(no line with '" + containing + "')");
  }

  record Loader(int exit, String out, String err) {
    long written() {
      return out.lines().map(String::trim).filter(l -> l.startsWith("written "))
          .map(l -> Long.parseLong(l.substring("written".length()).trim().split("\\s+")[0])).findFirst()
          .orElseThrow(() -> new AssertionError("no 'written' line:\n" + out + err));
    }
  }

  /** Runs the packaged pricing-loader as its own JVM, configured by TOKENMETER_* variables only. */
  static Loader loader(Map<String, String> kafka, String... args) throws IOException, InterruptedException {
    Path jar = Path.of(System.getProperty("pricing-loader.jar", "../pricing-loader/target/pricing-loader.jar"))
        .toAbsolutePath().normalize();
    assertThat(jar).as("the packaged pricing-loader").isRegularFile();
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-jar", jar.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("TOKENMETER_"));
    pb.environment().put("TOKENMETER_BOOTSTRAP_SERVERS", broker.bootstrapServers());
    kafka.forEach((k, v) -> pb.environment().put(envVar(k), v));
    Path out = Files.createTempFile("pricing-loader", ".out");
    Path err = Files.createTempFile("pricing-loader", ".err");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("pricing-loader did not finish in 180 s: " + Files.readString(err));
    }
    return new Loader(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }
}
