package io.tokenmeter.app;

import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * {@code /metrics} (Prometheus text format), {@code /health/live} and {@code /health/ready}. The
 * JDK's built-in HTTP server is enough for three read-only endpoints and adds no dependency; it
 * also brings HTTPS and basic authentication. Only {@code /metrics} is protected: probes reach the
 * health endpoints without credentials, and they say nothing but "ok".
 */
public final class HttpEndpoints implements AutoCloseable {
  /** Optional basic authentication of /metrics and optional TLS (a keystore) for all endpoints. */
  public record Security(String user, String password, Path keystore, String keystorePassword, String keystoreType) {
    public static final Security NONE = new Security(null, null, null, "", "PKCS12");

    public boolean basicAuth() {
      return user != null && password != null;
    }
  }

  private final HttpServer server;

  public HttpEndpoints(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier live,
      BooleanSupplier ready) throws IOException {
    this(host, port, registry, live, ready, Security.NONE);
  }

  public HttpEndpoints(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier live,
      BooleanSupplier ready, Security security) throws IOException {
    InetSocketAddress address = new InetSocketAddress(host, port);
    if (security.keystore() != null) {
      HttpsServer https = HttpsServer.create(address, 0);
      https.setHttpsConfigurator(new HttpsConfigurator(sslContext(security)));
      server = https;
    } else {
      server = HttpServer.create(address, 0);
    }
    HttpContext metrics = server.createContext("/metrics",
        ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
    if (security.basicAuth()) {
      byte[] expectedUser = security.user().getBytes(StandardCharsets.UTF_8);
      byte[] expectedPassword = security.password().getBytes(StandardCharsets.UTF_8);
      metrics.setAuthenticator(new BasicAuthenticator("tokenmeter") {
        @Override
        public boolean checkCredentials(String user, String password) {
          // constant-time comparisons: no timing hint about how much of a guess was right
          return MessageDigest.isEqual(expectedUser, user.getBytes(StandardCharsets.UTF_8))
              & MessageDigest.isEqual(expectedPassword, password.getBytes(StandardCharsets.UTF_8));
        }
      });
    }
    server.createContext("/health/live", ex -> health(ex, live.getAsBoolean()));
    server.createContext("/health/ready", ex -> health(ex, ready.getAsBoolean()));
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "tokenmeter-http");
      t.setDaemon(true);
      return t;
    }));
    server.start();
  }

  private static SSLContext sslContext(Security security) throws IOException {
    try {
      KeyStore ks = KeyStore.getInstance(security.keystoreType());
      char[] pw = security.keystorePassword().toCharArray();
      try (InputStream in = Files.newInputStream(security.keystore())) {
        ks.load(in, pw);
      }
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, pw);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot use keystore " + security.keystore() + " for HTTPS: " + e.getMessage(), e);
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void health(HttpExchange ex, boolean ok) throws IOException {
    respond(ex, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "unavailable\n");
  }

  private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", type);
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
