package dev.cairn.persistence.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/cairn cassandra}: its answers and exit codes, run as a real process. */
@ExtendWith(CassandraExtension.class)
class CairnCassandraCommandTest {

  private record Result(int exitCode, String output) {}

  private static Result cairn(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(TestCassandra.root().resolve("bin/cairn").toString());
    command.add("cassandra");
    command.addAll(List.of(args));
    Process process =
        new ProcessBuilder(command)
            .directory(TestCassandra.root().toFile())
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
    return new Result(process.exitValue(), output);
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void statusOfTheRunningTestCassandraIsZero() throws Exception {
    Optional<Path> dataDir = TestCassandra.dataDir();
    assumeTrue(dataDir.isPresent(), "the tests use a Cassandra they did not start");
    Result status = cairn("status", "--data-dir", dataDir.get().toString());
    assertThat(status.exitCode()).as(status.output()).isZero();
    assertThat(status.output()).contains("cassandra running", TestCassandra.contactPoint());
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void statusWithoutANodeIsThreeAndStopIsANoOp(@TempDir Path dir) throws Exception {
    Result status = cairn("status", "--data-dir", dir.toString());
    assertThat(status.exitCode()).as(status.output()).isEqualTo(3);
    assertThat(status.output()).contains("not running");
    Result stop = cairn("stop", "--data-dir", dir.toString());
    assertThat(stop.exitCode()).as(stop.output()).isZero();
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void startOnAPortInUseFailsAtOnceAndStartsNothing(@TempDir Path dir) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Result start =
          cairn(
              "start",
              "--data-dir",
              dir.toString(),
              "--port",
              Integer.toString(taken.getLocalPort()));
      assertThat(start.exitCode()).as(start.output()).isEqualTo(1);
      assertThat(start.output())
          .contains("port " + taken.getLocalPort() + " on 127.0.0.1 is in use");
      assertThat(Files.exists(dir.resolve("cassandra.pid"))).isFalse();
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void badArgumentsExitTwoWithTheUsage(@TempDir Path dir) throws Exception {
    Result unknown = cairn("restart", "--data-dir", dir.toString());
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.output()).contains("unknown action 'restart'", "cairn cassandra start");
    Result badPort = cairn("start", "--data-dir", dir.toString(), "--port", "ninety");
    assertThat(badPort.exitCode()).isEqualTo(2);
    assertThat(badPort.output()).contains("'ninety' is not a port number");
  }
}
