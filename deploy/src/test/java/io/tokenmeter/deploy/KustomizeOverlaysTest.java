package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every Kustomize tree under k8s/ builds, and every object it renders validates strictly. */
class KustomizeOverlaysTest {

    private final SchemaValidator validator = new SchemaValidator();

    static Stream<String> kustomizations() {
        return Kustomize.kustomizations().stream().map(Repo::relative);
    }

    @Test
    void shouldHaveTheBaseAndBothOverlays() {
        // Given the k8s/ tree
        // When its kustomizations are listed
        // Then the base and the two overlays of the issue are there
        assertThat(kustomizations().toList())
                .contains("k8s/base", "k8s/overlays/strimzi", "k8s/overlays/plain-kafka");
    }

    @Test
    void shouldBuildWithKustomizeVersion5() {
        // Given the kubectl on this machine
        // When its built-in kustomize is asked for its version
        // Then it is v5 (labels with includeTemplates, --load-restrictor)
        assertThat(Kustomize.majorVersion())
                .as("kustomize in kubectl (%s); %s", Kustomize.version(), Tools.PREREQS_HINT)
                .isGreaterThanOrEqualTo(5);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kustomizations")
    void shouldRenderOnlySchemaValidObjects(String dir) {
        // Given a kustomization
        // When it is built
        List<ObjectNode> objects = Kustomize.build(dir);
        // Then it renders objects, each valid against its kind's schema with unknown fields rejected
        assertThat(objects).isNotEmpty();
        List<String> errors = new ArrayList<>();
        for (ObjectNode object : objects) {
            errors.addAll(validator.validate(object));
        }
        assertThat(errors).as(dir).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kustomizations")
    void shouldRenderEachObjectOnce(String dir) {
        // Given a kustomization
        // When it is built
        // Then no kind/namespace/name appears twice (kubectl apply would silently keep one)
        Set<String> seen = new HashSet<>();
        for (ObjectNode o : Kustomize.build(dir)) {
            String id = o.path("apiVersion").asText() + "/" + o.path("kind").asText() + "/"
                    + o.path("metadata").path("namespace").asText("") + "/" + o.path("metadata").path("name").asText();
            assertThat(seen.add(id)).as("duplicate %s in %s", id, dir).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kustomizations")
    void shouldPutEveryNamespacedObjectOfAnOverlayInOneNamespace(String dir) {
        // Given an overlay (the base leaves the namespace to its overlays)
        if (dir.equals("k8s/base")) {
            return;
        }
        // When it is built
        // Then every object but a Namespace carries the same namespace
        Set<String> namespaces = new HashSet<>();
        for (ObjectNode o : Kustomize.build(dir)) {
            if (!o.path("kind").asText().equals("Namespace")) {
                namespaces.add(o.path("metadata").path("namespace").asText(""));
            }
        }
        assertThat(namespaces).hasSize(1).doesNotContain("");
    }

    @Test
    void shouldCatchAMisspelledFieldThatKustomizePassesThrough(@TempDir Path tmp) throws IOException {
        // Given a copy of the base with a misspelled field in the StatefulSet
        Path base = tmp.resolve("base");
        copyTree(Repo.path("k8s/base"), base);
        Path sts = base.resolve("statefulset.yaml");
        Files.writeString(sts, Files.readString(sts)
                .replace("terminationGracePeriodSeconds:", "terminationGracePeriodSecond:"));
        // When it is built (kustomize does not check fields) and validated
        Tools.Result result = Kustomize.run(base);
        assertThat(result.ok()).as(result.describe()).isTrue();
        List<String> errors = new ArrayList<>();
        Yaml.documents(result.stdout()).forEach(o -> errors.addAll(validator.validate(o)));
        // Then the misspelling is reported
        assertThat(errors).singleElement().asString()
                .contains("StatefulSet/tokenmeter").contains("terminationGracePeriodSecond");
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
