package io.tokenmeter.loader;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Reads the bytes of a file or an http(s) URL. Problems reaching the bytes are
 * {@link LoaderException#SOURCE_UNAVAILABLE}; what the bytes mean is the caller's business.
 */
final class CatalogSource {
  /** LiteLLM's catalog is under 2 MB today; anything near this is not a price list. */
  static final int MAX_BYTES = 64 * 1024 * 1024;

  private CatalogSource() {}

  static boolean isUrl(String location) {
    String l = location.toLowerCase(Locale.ROOT);
    return l.startsWith("http://") || l.startsWith("https://");
  }

  static byte[] read(String location, Duration timeout) {
    try {
      return isUrl(location) ? fetch(location, timeout) : readFile(Path.of(location));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw LoaderException.unavailable("interrupted while reading " + location, e);
    } catch (IOException | IllegalArgumentException e) {
      throw LoaderException.unavailable("cannot read " + location + ": " + describe(e), e);
    }
  }

  private static byte[] readFile(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("no such file");
    }
    if (Files.size(file) > MAX_BYTES) {
      throw new IOException("larger than " + MAX_BYTES + " bytes");
    }
    return Files.readAllBytes(file);
  }

  private static byte[] fetch(String url, Duration timeout) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder()
        .connectTimeout(timeout)
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
    HttpRequest request = HttpRequest.newBuilder(URI.create(url))
        .timeout(timeout)
        .header("Accept", "application/json")
        .header("User-Agent", "tokenmeter-pricing-loader")
        .GET()
        .build();
    HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw new IOException("HTTP " + response.statusCode());
      }
      byte[] bytes = body.readNBytes(MAX_BYTES + 1);
      if (bytes.length > MAX_BYTES) {
        throw new IOException("larger than " + MAX_BYTES + " bytes");
      }
      return bytes;
    }
  }

  private static String describe(Exception e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
