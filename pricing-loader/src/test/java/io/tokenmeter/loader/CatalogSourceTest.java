package io.tokenmeter.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogSourceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private HttpServer server;
  private String base;

  @BeforeEach
  void startServer() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/catalog.json", exchange -> {
      byte[] body = "{\"m\": {\"input_cost_per_token\": 1e-06}}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.createContext("/moved", exchange -> {
      exchange.getResponseHeaders().add("Location", base + "/catalog.json");
      exchange.sendResponseHeaders(302, -1);
      exchange.close();
    });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  @Test
  void shouldReadAUrlFollowingRedirects() {
    // Given a catalog served over HTTP behind a redirect
    // When it is read
    byte[] bytes = CatalogSource.read(base + "/moved", TIMEOUT);

    // Then the body arrives whole
    assertThat(new String(bytes, StandardCharsets.UTF_8)).contains("input_cost_per_token");
  }

  @Test
  void shouldReportAnHttpErrorAsUnavailable() {
    // Given a URL the server does not know
    // When / Then reading it fails with the status and the unavailable exit code
    assertThatThrownBy(() -> CatalogSource.read(base + "/missing.json", TIMEOUT))
        .isInstanceOfSatisfying(LoaderException.class,
            e -> assertThat(e.exitCode()).isEqualTo(LoaderException.SOURCE_UNAVAILABLE))
        .hasMessageContaining("HTTP 404")
        .hasMessageContaining("/missing.json");
  }

  @Test
  void shouldReadAFileAndReportAMissingOne(@TempDir Path dir) throws Exception {
    // Given one file that exists and one that does not
    Path file = Files.writeString(dir.resolve("c.json"), "{}");

    // When / Then
    assertThat(CatalogSource.read(file.toString(), TIMEOUT)).containsExactly('{', '}');
    assertThatThrownBy(() -> CatalogSource.read(dir.resolve("nope.json").toString(), TIMEOUT))
        .isInstanceOfSatisfying(LoaderException.class,
            e -> assertThat(e.exitCode()).isEqualTo(LoaderException.SOURCE_UNAVAILABLE))
        .hasMessageContaining("nope.json: no such file");
  }
}
