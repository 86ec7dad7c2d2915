package io.tokenmeter.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged application ({@code java -jar tokenmeter.jar run}) as a separate JVM, configured
 * only through {@code TOKENMETER_*} environment variables, as the container runs it. It can be
 * killed with SIGKILL (no shutdown hook, no commit, no close: a crash) or stopped with SIGTERM (the
 * shutdown hook closes Kafka Streams cleanly, as Kubernetes stops a pod).
 */
final class AppProcess implements AutoCloseable {
  /** A 256 MB heap (the brief's bound for hostile input), and the container's exit on OutOfMemoryError (Dockerfile). */
  static final List<String> DEFAULT_JVM = List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError");

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  /** Log files started by this JVM: a name's first process truncates what an earlier run left. */
  private static final java.util.Set<String> LOGS = java.util.concurrent.ConcurrentHashMap.newKeySet();

  final String name;
  final Path log;
  final int httpPort;
  final Path stateDir;
  private final Process process;
  /** Where the test reaches the HTTP endpoints: the bound address (loopback for 0.0.0.0). */
  private volatile String httpHost;
  private volatile String scheme = "http";
  private volatile HttpClient client = HTTP;
  private volatile String authorization;

  private AppProcess(String name, Path log, int httpPort, Path stateDir, Process process, String httpHost) {
    this.name = name;
    this.log = log;
    this.httpPort = httpPort;
    this.stateDir = stateDir;
    this.process = process;
    this.httpHost = httpHost.equals("0.0.0.0") ? "127.0.0.1" : httpHost;
  }

  /** Reach the endpoints over HTTPS, trusting what {@code ssl} trusts. */
  AppProcess https(javax.net.ssl.SSLContext ssl) {
    scheme = "https";
    client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).sslContext(ssl).build();
    return this;
  }

  /** Send these credentials (HTTP basic authentication) with every request. */
  AppProcess basicAuth(String user, String password) {
    authorization = "Basic " + java.util.Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    return this;
  }

  static Path jar() {
    Path jar = Path.of(System.getProperty("tokenmeter.jar", "../topology/target/tokenmeter.jar")).toAbsolutePath().normalize();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: build the topology module first (./mvnw -pl reliability -am verify)");
    }
    return jar;
  }

  static Path logDir() {
    Path dir = Path.of("target", "reliability-logs").toAbsolutePath();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts an instance of the scenario's application with the given state directory and JVM options. */
  static AppProcess start(Scenario scenario, String name, Path stateDir, List<String> jvmOptions) throws IOException {
    return start(name, scenario.environment(), stateDir, jvmOptions);
  }

  static AppProcess start(Scenario scenario, String name, Path stateDir) throws IOException {
    return start(scenario, name, stateDir, DEFAULT_JVM);
  }

  static AppProcess start(String name, Map<String, String> environment, Path stateDir, List<String> jvmOptions)
      throws IOException {
    int port = environment.containsKey("TOKENMETER_HTTP_PORT")
        ? Integer.parseInt(environment.get("TOKENMETER_HTTP_PORT")) : freePort();
    Path log = logDir().resolve(name + ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar().toString());
    command.add("run");
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("TOKENMETER_"));
    pb.environment().putAll(environment);
    pb.environment().putIfAbsent("TOKENMETER_HTTP_HOST", "127.0.0.1");
    pb.environment().put("TOKENMETER_HTTP_PORT", String.valueOf(port));
    if (stateDir != null) {
      pb.environment().put("TOKENMETER_STATE_DIR", stateDir.toString());
    }
    if (LOGS.add(name)) {
      Files.deleteIfExists(log);
    }
    Files.writeString(log, "=== " + name + ": " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return new AppProcess(name, log, port, stateDir, pb.start(), pb.environment().get("TOKENMETER_HTTP_HOST"));
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  /** Exit code once it exited, or null while it runs. */
  Integer exitCode() {
    return process.isAlive() ? null : process.exitValue();
  }

  /** Waits until {@code /health/ready} answers 200 (Kafka Streams RUNNING). */
  AppProcess awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited with " + process.exitValue() + " before it was ready; log "
            + log + ":\n" + tail(40));
      }
      if (httpStatus("/health/ready") == 200) {
        return this;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(name + " not ready after " + timeout + "; log " + log + ":\n" + tail(40));
  }

  /** HTTP status of a GET on the application's endpoint, -1 when nothing answers. */
  int httpStatus(String path) {
    return httpStatus(uri(path), authorization);
  }

  /** HTTP status of a GET with these credentials (null: none), -1 when nothing answers. */
  int httpStatus(URI uri, String auth) {
    try {
      return client.send(request(uri, auth), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static HttpRequest request(URI uri, String auth) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET();
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return b.build();
  }

  URI uri(String path) {
    return uri(scheme, httpHost, path);
  }

  URI uri(String scheme, String host, String path) {
    return URI.create(scheme + "://" + host + ":" + httpPort + path);
  }

  /** The Prometheus exposition of {@code /metrics}. */
  Prometheus scrape() throws IOException, InterruptedException {
    HttpResponse<String> r = client.send(request(uri("/metrics"), authorization), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new AssertionError("/metrics answered " + r.statusCode());
    }
    return new Prometheus(r.body());
  }

  /** SIGKILL: the JVM dies at once, mid-transaction, without running its shutdown hook. */
  void kill() throws InterruptedException, IOException {
    Process k = new ProcessBuilder("kill", "-KILL", String.valueOf(process.pid())).inheritIO().start();
    if (k.waitFor() != 0) {
      process.destroyForcibly();
    }
    process.waitFor();
    appendToLog("=== " + name + ": SIGKILL\n");
  }

  /** SIGTERM: the shutdown hook closes Kafka Streams (commit, leave); returns the exit code. */
  int stop() throws InterruptedException, IOException {
    if (!process.isAlive()) {
      return process.exitValue();
    }
    process.destroy();
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError(name + " did not stop within 90 s of SIGTERM; log " + log);
    }
    return process.exitValue();
  }

  /** Waits for the process to exit by itself; the exit code, or null if it still runs. */
  Integer awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
  }

  String logText() throws IOException {
    return Files.readString(log, StandardCharsets.ISO_8859_1);
  }

  String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  private void appendToLog(String line) throws IOException {
    Files.writeString(log, line, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      stop();
    }
  }
}
