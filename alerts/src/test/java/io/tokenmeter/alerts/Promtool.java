package io.tokenmeter.alerts;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code promtool} (Debian package {@code prometheus}). A missing promtool fails the
 * test with the install command: these tests are never skipped.
 */
final class Promtool {
  private Promtool() {}

  record Result(int exitCode, String output) {}

  static Path locate() {
    String override = System.getenv("PROMTOOL");
    if (override != null && !override.isBlank() && Files.isExecutable(Path.of(override))) {
      return Path.of(override);
    }
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "promtool"))) {
        return Path.of(dir, "promtool");
      }
    }
    if (Files.isExecutable(Path.of("/usr/bin/promtool"))) {
      return Path.of("/usr/bin/promtool");
    }
    throw new AssertionError("promtool is not on the PATH: install it with "
        + "`apt-get update && apt-get install -y prometheus` (bin/test does this), or point PROMTOOL at it");
  }

  /** Runs promtool with the arguments in {@code workDir}, echoing its output to stdout. */
  static Result run(Path workDir, String... args) {
    List<String> command = new ArrayList<>();
    command.add(locate().toString());
    command.addAll(List.of(args));
    try {
      Process process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
      process.getOutputStream().close();
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(5, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new AssertionError("promtool did not finish in 5 minutes: " + command);
      }
      String output = new String(out, StandardCharsets.UTF_8);
      System.out.println("$ " + String.join(" ", command.subList(1, command.size())) + "   (in " + workDir + ")");
      System.out.println(output.strip().replaceAll("\n\\s*\n", "\n"));
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + command, e);
    }
  }
}
