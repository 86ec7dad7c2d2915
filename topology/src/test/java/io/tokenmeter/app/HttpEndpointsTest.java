package io.tokenmeter.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The endpoints bound where configured, /metrics behind basic auth and TLS when configured. */
class HttpEndpointsTest {
  @TempDir Path dir;

  private static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    r.counter("tokenmeter.test").increment();
    return r;
  }

  private static HttpResponse<String> get(HttpClient client, String url, String auth) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (auth != null) {
      b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(auth.getBytes(StandardCharsets.UTF_8)));
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldProtectMetricsWithBasicAuthButLeaveProbesOpen() throws Exception {
    TokenmeterConfig config = TokenmeterConfig.load(Map.of(), Map.of(), Map.of(
        TokenmeterConfig.HTTP_BASIC_AUTH_USER, "prometheus", TokenmeterConfig.HTTP_BASIC_AUTH_PASSWORD, "s3cret"));
    try (HttpEndpoints http = new HttpEndpoints("127.0.0.1", 0, registry(), () -> true, () -> false, config.httpSecurity())) {
      HttpClient client = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + http.port();

      assertThat(get(client, base + "/metrics", null).statusCode()).isEqualTo(401);
      assertThat(get(client, base + "/metrics", "prometheus:wrong").statusCode()).isEqualTo(401);
      HttpResponse<String> ok = get(client, base + "/metrics", "prometheus:s3cret");
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).contains("tokenmeter_test_total 1.0");
      assertThat(get(client, base + "/health/live", null).statusCode()).isEqualTo(200);
      assertThat(get(client, base + "/health/ready", null).statusCode()).isEqualTo(503);
    }
    // the password never reaches the start-up banner
    assertThat(config.describe()).containsEntry(TokenmeterConfig.HTTP_BASIC_AUTH_PASSWORD, "****");
  }

  @Test
  void shouldServeHttpsFromTheConfiguredKeystore() throws Exception {
    // Given a self-signed certificate made with the JDK's keytool
    Path ks = dir.resolve("server.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "tokenmeter", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
        "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(),
        "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
    assertThat(keytool.waitFor()).as(new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    TokenmeterConfig config = TokenmeterConfig.load(Map.of(), Map.of(), Map.of(
        TokenmeterConfig.HTTP_TLS_KEYSTORE, ks.toString(), TokenmeterConfig.HTTP_TLS_KEYSTORE_PASSWORD, "changeit"));

    try (HttpEndpoints http = new HttpEndpoints("127.0.0.1", 0, registry(), () -> true, () -> true, config.httpSecurity())) {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      try (var in = Files.newInputStream(ks)) {
        trust.load(in, "changeit".toCharArray());
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      HttpClient client = HttpClient.newBuilder().sslContext(ssl).build();

      HttpResponse<String> r = get(client, "https://127.0.0.1:" + http.port() + "/metrics", null);

      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("tokenmeter_test_total");
      // and plain HTTP is not served on that port
      assertThat(org.assertj.core.api.Assertions.catchThrowable(
          () -> get(HttpClient.newHttpClient(), "http://127.0.0.1:" + http.port() + "/metrics", null))).isNotNull();
    }
  }

  @Test
  void shouldRejectAUserWithoutAPassword() {
    TokenmeterConfig config = TokenmeterConfig.load(Map.of(), Map.of(), Map.of(TokenmeterConfig.HTTP_BASIC_AUTH_USER, "x"));

    assertThat(org.assertj.core.api.Assertions.catchThrowable(config::httpSecurity))
        .isInstanceOf(ConfigException.class).hasMessageContaining("must be set together");
  }
}
