package io.tokenmeter.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.app.TokenmeterConfig;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * Scenario 9: the HTTP endpoints ({@code /metrics}, {@code /health/*}) bind to the configured
 * address only, and {@code /metrics} can be protected by configuration: HTTP basic authentication,
 * HTTPS, both as an operator sets them ({@code TOKENMETER_HTTP_*}).
 */
class MetricsEndpointIT {
  @Test
  void shouldBindTheEndpointsToTheConfiguredAddressOnly() throws Exception {
    // Given the application told to bind its endpoints to 127.0.0.2 (TOKENMETER_HTTP_HOST)
    Scenario s = Scenario.create("http-bind", Broker.shared(), 1).set(TokenmeterConfig.HTTP_HOST, "127.0.0.2");
    s.publishCards(Workload.cards());
    try (AppProcess app = AppProcess.start(s, "http-bind", s.newStateDir()).awaitReady(Runs.READY)) {
      // Then they answer there, and nothing answers on another local address at the same port
      int bound = app.httpStatus(app.uri("http", "127.0.0.2", "/metrics"), null);
      int other = app.httpStatus(app.uri("http", "127.0.0.1", "/metrics"), null);
      System.out.printf("  /metrics bound to 127.0.0.2:%d answers %d there, %d on 127.0.0.1%n", app.httpPort, bound, other);
      assertThat(bound).isEqualTo(200);
      assertThat(other).as("status on 127.0.0.1 (-1: connection refused)").isEqualTo(-1);
      assertThat(app.scrape().sum("tokenmeter_streams_running")).isEqualTo(1.0);
    }
  }

  /**
   * {@code TOKENMETER_HTTP_BASIC_AUTH_USER} and {@code TOKENMETER_HTTP_BASIC_AUTH_PASSWORD} (both or
   * neither): {@code /metrics} answers 401 without those credentials; {@code /health/live} and
   * {@code /health/ready} stay open (kubelet probes carry none); the password never reaches the log.
   */
  @Test
  void shouldRequireBasicAuthenticationOnMetricsWhenConfigured() throws Exception {
    String password = "scrape-" + RedactionIT.sentinel();
    Scenario s = Scenario.create("http-basic", Broker.shared(), 1)
        .env("TOKENMETER_HTTP_BASIC_AUTH_USER", "prometheus").env("TOKENMETER_HTTP_BASIC_AUTH_PASSWORD", password);
    s.publishCards(Workload.cards());
    try (AppProcess app = AppProcess.start(s, "http-basic", s.newStateDir()).awaitReady(Runs.READY)) {
      String wrong = "Basic " + Base64.getEncoder().encodeToString("prometheus:nope".getBytes());
      String right = "Basic " + Base64.getEncoder().encodeToString(("prometheus:" + password).getBytes());
      assertThat(app.httpStatus(app.uri("/metrics"), null)).as("no credentials").isEqualTo(401);
      assertThat(app.httpStatus(app.uri("/metrics"), wrong)).as("wrong password").isEqualTo(401);
      assertThat(app.httpStatus(app.uri("/metrics"), right)).as("right credentials").isEqualTo(200);
      assertThat(app.httpStatus(app.uri("/health/ready"), null)).as("probes need no credentials").isEqualTo(200);
      app.stop();
      assertThat(RedactionIT.count(app.logText())).as("the password in the log").isZero();
    }
  }

  /**
   * {@code TOKENMETER_HTTP_TLS_KEYSTORE} (a PKCS12 or JKS file), {@code TOKENMETER_HTTP_TLS_KEYSTORE_PASSWORD},
   * {@code TOKENMETER_HTTP_TLS_KEYSTORE_TYPE} (default PKCS12): the endpoints serve HTTPS only, with
   * that key (made here with keytool); plain HTTP gets no 200.
   */
  @Test
  void shouldServeHttpsOnlyWhenAKeystoreIsConfigured() throws Exception {
    Tls tls = Tls.generate("http");
    Scenario s = Scenario.create("http-tls", Broker.shared(), 1)
        .env("TOKENMETER_HTTP_TLS_KEYSTORE", tls.keystore.toString())
        .env("TOKENMETER_HTTP_TLS_KEYSTORE_PASSWORD", tls.password)
        .env("TOKENMETER_HTTP_TLS_KEYSTORE_TYPE", "PKCS12");
    s.publishCards(Workload.cards());
    try (AppProcess app = AppProcess.start(s, "http-tls", s.newStateDir()).https(tls.clientContext())
        .awaitReady(Duration.ofSeconds(60))) {
      assertThat(app.httpStatus(app.uri("https", "127.0.0.1", "/metrics"), null)).isEqualTo(200);
      assertThat(app.scrape().sum("tokenmeter_streams_running")).isEqualTo(1.0);
      assertThat(app.httpStatus(app.uri("http", "127.0.0.1", "/metrics"), null)).as("plain HTTP").isNotEqualTo(200);
      app.stop();
      assertThat(app.logText()).doesNotContain(tls.password);
    }
  }
}
