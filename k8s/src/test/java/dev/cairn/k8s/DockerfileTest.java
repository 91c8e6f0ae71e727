package dev.cairn.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The image cannot be built here (no container engine), so its Dockerfile is checked against the
 * build and the server: every path it copies exists, the classes and classpath file it lays out are
 * those bin/cairn runs, its entrypoint is bin/cairn's server, its ports are the StatefulSet's, its
 * default options are the server's, and the heap is sized as a share of the container's memory.
 */
class DockerfileTest {
  private static Path root;
  private static List<String> instructions;
  private static String launcher;

  @BeforeAll
  static void read() throws Exception {
    root = Manifests.root();
    // Instructions with their continuation lines joined, comments dropped.
    instructions = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(root.resolve("Dockerfile"))) {
      if (line.strip().startsWith("#") || line.isBlank()) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
      } else {
        instructions.add(current.append(line).toString().strip());
        current.setLength(0);
      }
    }
    launcher = Files.readString(root.resolve("bin/cairn"));
  }

  private static List<String> all(String keyword) {
    return instructions.stream()
        .filter(i -> i.startsWith(keyword + " "))
        .map(i -> i.substring(keyword.length() + 1).strip())
        .toList();
  }

  private static List<String> jsonArray(String s) {
    assertThat(s).startsWith("[").endsWith("]");
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(s);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  @Test
  void twoStagesAJreToRunAndEverySourceItCopiesExists() {
    List<String> from = all("FROM");
    assertThat(from).hasSize(2);
    assertThat(from.get(0)).endsWith(" AS build");
    assertThat(from.get(1)).contains("-jre");
    for (String copy : all("COPY")) {
      if (copy.startsWith("--from=")) {
        continue;
      }
      String[] parts = copy.split("\\s+");
      for (String src : Arrays.copyOf(parts, parts.length - 1)) {
        assertThat(root.resolve(src)).as("COPY source %s", src).exists();
      }
    }
    assertThat(root.resolve(".dockerignore")).content().contains("**/target");
  }

  @Test
  void itLaysOutWhatBinCairnRuns() {
    String layout = String.join("\n", all("RUN"));
    // bin/cairn: target/classes of these modules, plus the jars in http/target/classpath.txt.
    Matcher modules = Pattern.compile("for m in ([a-z ]+); do jars=").matcher(launcher);
    assertThat(modules.find()).as("bin/cairn's module loop").isTrue();
    assertThat(layout).contains("for m in " + modules.group(1) + "; do");
    for (String m : modules.group(1).split(" ")) {
      assertThat(root.resolve(m).resolve("pom.xml")).as("module %s", m).exists();
    }
    assertThat(launcher).contains("cp_file=\"$root/http/target/classpath.txt\"");
    assertThat(layout).contains("> /opt/cairn/http/target/classpath.txt");
    assertThat(layout).contains("cp bin/cairn /opt/cairn/bin/cairn");
    assertThat(layout).contains("-DincludeScope=runtime");
    // The build packages exactly the server, as bin/cairn's own build does.
    assertThat(launcher).contains("-pl http -am package");
    assertThat(layout).contains("-pl http -am package");
    assertThat(all("COPY")).contains("--from=build /opt/cairn /opt/cairn");
  }

  @Test
  void theEntrypointIsBinCairnServerWithTheServersOptions() {
    assertThat(jsonArray(all("ENTRYPOINT").get(0)))
        .containsExactly("/opt/cairn/bin/cairn", "server");
    assertThat(launcher).contains("dev.cairn.http.Main \"$@\"");
    Set<String> options = Manifests.serverOptions();
    for (String arg : jsonArray(all("CMD").get(0))) {
      if (arg.startsWith("--")) {
        assertThat(options).as("cairn server option").contains(arg);
      }
    }
  }

  @Test
  void theHeapIsAShareOfTheContainersMemory() {
    String env = String.join(" ", all("ENV"));
    assertThat(env).contains("CAIRN_JAVA_OPTS=").contains("-XX:MaxRAMPercentage=");
    assertThat(env).doesNotContain("-Xmx").doesNotContain("-Xms");
    assertThat(launcher).contains("${CAIRN_JAVA_OPTS:-");
  }

  @Test
  void portsUserAndDataDirectoryAreTheStatefulSets() throws Exception {
    Manifests m = Manifests.render("base");
    StatefulSet sts = m.one(StatefulSet.class);
    Container c = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
    Set<Integer> containerPorts = new TreeSet<>();
    for (ContainerPort p : c.getPorts()) {
      containerPorts.add(p.getContainerPort());
    }
    Set<Integer> exposed = new TreeSet<>();
    for (String e : all("EXPOSE")) {
      for (String p : e.split("\\s+")) {
        exposed.add(Integer.parseInt(p));
      }
    }
    assertThat(exposed).isEqualTo(containerPorts);
    String user = all("USER").get(0).split(":")[0];
    assertThat(Long.valueOf(user))
        .isEqualTo(sts.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser());
    List<String> cmd = jsonArray(all("CMD").get(0));
    String dataDir = cmd.get(cmd.indexOf("--data-dir") + 1);
    List<String> stsArgs = c.getArgs();
    assertThat(stsArgs.get(stsArgs.indexOf("--data-dir") + 1)).isEqualTo(dataDir);
    assertThat(all("VOLUME")).containsExactly(dataDir);
    assertThat(String.join("\n", all("RUN"))).contains("chown 10001:10001 " + dataDir);
  }
}
