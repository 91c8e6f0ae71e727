package dev.cairn.k8s;

import dev.cairn.http.Main;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/**
 * The manifests as Kubernetes would get them: {@code kubectl kustomize <dir>} rendered and loaded
 * into the fabric8 model of the Kubernetes API, one typed object per document.
 */
final class Manifests {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private final List<HasMetadata> objects;

  private Manifests(List<HasMetadata> objects) {
    this.objects = List.copyOf(objects);
  }

  /** The repository's root (this module's parent directory). */
  /** The options {@code cairn server} accepts, from its picocli command. */
  static Set<String> serverOptions() {
    return new CommandLine(new Main())
        .getSubcommands()
        .get("server")
        .getCommandSpec()
        .optionsMap()
        .keySet();
  }

  static Path root() {
    Path here = Path.of("").toAbsolutePath();
    return Files.exists(here.resolve("base")) ? here.getParent() : here;
  }

  private static final java.util.Map<String, Manifests> RENDERED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Renders {@code k8s/<dir>} with kubectl's built-in kustomize and loads every object (once per
   * test JVM: the objects are not modified).
   */
  static synchronized Manifests render(String dir) throws IOException, InterruptedException {
    Manifests m = RENDERED.get(dir);
    if (m == null) {
      m = renderNow(dir);
      RENDERED.put(dir, m);
    }
    return m;
  }

  private static Manifests renderNow(String dir) throws IOException, InterruptedException {
    Path target = root().resolve("k8s").resolve(dir);
    Process p;
    try {
      p =
          new ProcessBuilder("kubectl", "kustomize", target.toString())
              .redirectErrorStream(false)
              .start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "kubectl is needed to render k8s/ (.ci/run installs it; see docs/deploy-kubernetes.md)",
          e);
    }
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("kubectl kustomize " + target + " failed: " + err);
    }
    List<HasMetadata> objects = new ArrayList<>();
    for (String doc : new String(out, StandardCharsets.UTF_8).split("(?m)^---\\s*$")) {
      if (!doc.isBlank()) {
        objects.add(SERIALIZATION.unmarshal(doc, HasMetadata.class));
      }
    }
    return new Manifests(objects);
  }

  List<HasMetadata> all() {
    return objects;
  }

  /** Every object of type {@code type}. */
  <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  /** The one object of type {@code type}; fails if there is none or more than one. */
  <T extends HasMetadata> T one(Class<T> type) {
    List<T> found = all(type);
    if (found.size() != 1) {
      throw new AssertionError(
          "expected exactly one " + type.getSimpleName() + ", found " + found.size());
    }
    return found.get(0);
  }

  /** The object of type {@code type} named {@code name}, or fails. */
  <T extends HasMetadata> T named(Class<T> type, String name) {
    return all(type).stream()
        .filter(o -> o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " named " + name));
  }
}
