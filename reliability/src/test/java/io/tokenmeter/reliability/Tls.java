package io.tokenmeter.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed server certificate for {@code localhost} / {@code 127.0.0.1}, made with the JDK's
 * {@code keytool} (as an operator would), in a PKCS12 keystore; its certificate as PEM (what a
 * Strimzi cluster CA Secret holds) and as a PKCS12 truststore.
 */
final class Tls {
  final Path dir;
  final Path keystore;
  final Path certificatePem;
  final Path truststore;
  final String password;

  private Tls(Path dir, String password) {
    this.dir = dir;
    this.password = password;
    this.keystore = dir.resolve("server.p12");
    this.certificatePem = dir.resolve("ca.crt");
    this.truststore = dir.resolve("truststore.p12");
  }

  static Tls generate(String name) throws IOException, InterruptedException {
    Tls t = new Tls(Files.createTempDirectory("tokenmeter-tls-" + name), "changeit-" + name);
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    t.run(keytool, "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-validity", "7",
        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
        "-keystore", t.keystore.toString(), "-storepass", t.password, "-keypass", t.password);
    t.run(keytool, "-exportcert", "-rfc", "-alias", "server", "-keystore", t.keystore.toString(), "-storepass", t.password,
        "-file", t.certificatePem.toString());
    t.run(keytool, "-importcert", "-noprompt", "-alias", "ca", "-file", t.certificatePem.toString(), "-storetype", "PKCS12",
        "-keystore", t.truststore.toString(), "-storepass", t.password);
    return t;
  }

  private void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("keytool failed: " + String.join(" ", new ArrayList<>(List.of(command)).subList(0, 2))
          + "\n" + out);
    }
  }

  /** A client SSL context trusting this certificate only. */
  SSLContext clientContext() throws Exception {
    KeyStore ts = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(truststore)) {
      ts.load(in, password.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
