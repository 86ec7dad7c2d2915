package io.tokenmeter.deploy;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * External tools the deploy tests run. A missing tool fails the test with the install hint:
 * nothing is skipped.
 */
public final class Tools {

    public static final String PREREQS_HINT = "run bin/test-prereqs (it installs the tools the deploy tests need)";

    private Tools() {
    }

    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        public String describe() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    /** The executable, from the environment variable {@code envOverride} or the PATH. */
    public static Path require(String name, String envOverride, String installHint) {
        String override = System.getenv(envOverride);
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override);
            if (Files.isExecutable(p)) {
                return p;
            }
            throw new AssertionError(envOverride + "=" + override + " is not executable; " + installHint);
        }
        String pathEnv = System.getenv().getOrDefault("PATH", "");
        List<String> dirs = new ArrayList<>(List.of(pathEnv.split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/local/bin", "/usr/bin", "/bin"));
        for (String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("'" + name + "' not found on PATH; " + installHint);
    }

    public static Path kubectl() {
        return require("kubectl", "KUBECTL", "install kubectl (with kustomize v5): " + PREREQS_HINT);
    }

    public static Path dockerCompose() {
        return require("docker-compose", "DOCKER_COMPOSE",
                "install docker-compose (Debian package docker-compose): " + PREREQS_HINT);
    }

    public static Result run(Path workDir, List<String> command) {
        try {
            Path out = Files.createTempFile("tool-out", ".txt");
            Path err = Files.createTempFile("tool-err", ".txt");
            try {
                ProcessBuilder pb = new ProcessBuilder(command)
                        .directory(workDir.toFile())
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile());
                pb.environment().put("DOCKER_HOST", "unix:///nonexistent/docker.sock");
                Process process = pb.start();
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError("timed out after 120 s: " + command);
                }
                return new Result(process.exitValue(),
                        Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("could not run " + command + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + command, e);
        }
    }
}
