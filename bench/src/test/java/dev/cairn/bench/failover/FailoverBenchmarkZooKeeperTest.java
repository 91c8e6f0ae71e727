package dev.cairn.bench.failover;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.bench.cli.Cli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole benchmark against a real 3-server ZooKeeper ensemble of separate JVMs on 127.0.0.1: it
 * finds the leader, kills its process with {@code kill -9}, sees writes come back on the others,
 * restarts the killed server from the cluster file's command line, writes the new pid back and
 * waits until the ensemble is whole again.
 */
class FailoverBenchmarkZooKeeperTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final Set<Long> pids = new HashSet<>();

  @AfterEach
  void stopServers() throws Exception {
    Path file = dir.resolve("cluster.json");
    if (Files.exists(file)) {
      for (Member m : ClusterFile.read(file).members()) {
        pids.add(m.pid());
      }
    }
    for (long pid : pids) {
      ProcessHandle.of(pid)
          .ifPresent(
              p -> {
                p.destroyForcibly();
                p.onExit().join();
              });
    }
  }

  @Test
  @Timeout(600)
  void killsTheLeaderMeasuresTheOutageAndRestartsIt() throws Exception {
    int[] ports = freePorts(9);
    StringBuilder servers = new StringBuilder();
    for (int i = 1; i <= 3; i++) {
      servers.append(
          "server." + i + "=127.0.0.1:" + ports[3 + i - 1] + ":" + ports[6 + i - 1] + "\n");
    }
    String javaExe = ProcessHandle.current().info().command().orElse("java");
    List<String> members = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      Path d = Files.createDirectories(dir.resolve("zk" + i + "/data"));
      Files.writeString(d.resolve("myid"), Integer.toString(i));
      Path cfg =
          Files.writeString(
              dir.resolve("zk" + i + "/zoo.cfg"),
              "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir="
                  + d
                  + "\nclientPort="
                  + ports[i - 1]
                  + "\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
                  + "4lw.commands.whitelist=srvr\n"
                  + servers);
      List<String> command =
          List.of(
              javaExe,
              "-Xmx128m",
              "-cp",
              System.getProperty("java.class.path"),
              "org.apache.zookeeper.server.quorum.QuorumPeerMain",
              cfg.toString());
      Path log = dir.resolve("zk" + i + "/stdout.log");
      long pid =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start()
              .pid();
      pids.add(pid);
      members.add(
          JSON.writeValueAsString(
              Map.of(
                  "name",
                  "zk" + i,
                  "pid",
                  pid,
                  "command",
                  command,
                  "client",
                  "127.0.0.1:" + ports[i - 1],
                  "log",
                  log.toString())));
    }
    Path file =
        Files.writeString(
            dir.resolve("cluster.json"),
            "{\"target\":\"zookeeper\",\"settings\":{\"tickTime_ms\":2000},\"members\":["
                + String.join(",", members)
                + "]}");
    List<Long> before = ClusterFile.read(file).members().stream().map(Member::pid).toList();
    try (ZooKeeperEnsembleTarget probe =
        new ZooKeeperEnsembleTarget(
            ClusterFile.read(file).members(), Duration.ofSeconds(30), "/x", 1)) {
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (!probe.healthy() && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      assertThat(probe.healthy()).as("ensemble formed").isTrue();
    }

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    int status;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      status =
          Cli.commandLine(new FailoverBenchmark())
              .execute(
                  "--cluster", file.toString(),
                  "--kills", "1",
                  "--clients", "2",
                  "--steady", "1s",
                  "--write-timeout", "1s");
    } finally {
      System.setOut(stdout);
    }
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        lines.add(JSON.readTree(line));
      }
    }
    assertThat(status).as(out.toString(StandardCharsets.UTF_8)).isEqualTo(0);
    assertThat(lines).hasSize(2);

    JsonNode kill = lines.get(0);
    assertThat(kill.path("bench").asText()).isEqualTo("failover");
    assertThat(kill.path("target").asText()).isEqualTo("zookeeper");
    assertThat(kill.path("recovered").asBoolean()).isTrue();
    assertThat(kill.path("rejoined").asBoolean()).isTrue();
    assertThat(kill.path("unavailable_ms").asDouble()).isPositive();
    assertThat(kill.path("gap_ms").asDouble())
        .isGreaterThanOrEqualTo(kill.path("unavailable_ms").asDouble());
    String leader = kill.path("leader").asText();
    assertThat(kill.path("new_leader").asText()).startsWith("zk").isNotEqualTo(leader);

    JsonNode summary = lines.get(1);
    assertThat(summary.path("bench").asText()).isEqualTo("failover-summary");
    assertThat(summary.path("kills").asInt()).isEqualTo(1);
    assertThat(summary.path("recovered").asInt()).isEqualTo(1);
    assertThat(summary.path("unavailable_ms").path("max").asDouble())
        .isEqualTo(kill.path("unavailable_ms").asDouble());
    assertThat(summary.path("cluster").path("tickTime_ms").asInt()).isEqualTo(2000);

    // The killed server runs again under a new pid, which the cluster file now holds.
    int victim = Integer.parseInt(leader.substring(2)) - 1;
    List<Member> after = ClusterFile.read(file).members();
    assertThat(ProcessHandle.of(before.get(victim)).map(ProcessHandle::isAlive))
        .isNotEqualTo(Optional.of(true));
    assertThat(after.get(victim).pid())
        .isEqualTo(kill.path("restarted_pid").asLong())
        .isNotEqualTo(before.get(victim));
    assertThat(ProcessHandle.of(after.get(victim).pid()).map(ProcessHandle::isAlive))
        .contains(true);
    for (int i = 0; i < 3; i++) {
      if (i != victim) {
        assertThat(after.get(i).pid()).isEqualTo(before.get(i));
      }
    }
  }

  private static int[] freePorts(int n) throws Exception {
    List<ServerSocket> held = new ArrayList<>();
    int[] ports = new int[n];
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0);
        held.add(s);
        ports[i] = s.getLocalPort();
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return ports;
  }
}
