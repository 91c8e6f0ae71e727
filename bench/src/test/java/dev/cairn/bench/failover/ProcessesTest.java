package dev.cairn.bench.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ProcessesTest {

  @TempDir Path dir;

  @Test
  void aMemberIsRecognisedByItsExecutableOrASharedArgument() {
    List<String> etcd = List.of("/usr/bin/etcd", "--name", "e1");
    assertThat(Processes.isMember("/usr/bin/etcd", null, etcd)).isTrue();
    assertThat(Processes.isMember("/usr/lib/jvm/java-17/bin/java", null, List.of("java", "-cp")))
        .isTrue();
    // bin/cairn execs java with the arguments it was given
    List<String> cairn = List.of("bin/cairn", "server", "--port", "7071");
    assertThat(
            Processes.isMember(
                "/usr/lib/jvm/java-17/bin/java",
                new String[] {
                  "-Xmx1g", "-cp", "x", "dev.cairn.http.Main", "server", "--port", "7071"
                },
                cairn))
        .isTrue();
    assertThat(Processes.isMember("/usr/bin/sleep", new String[] {"100"}, cairn)).isFalse();
    assertThat(Processes.isMember("/usr/bin/sleep", null, cairn)).isFalse();
  }

  @Test
  @Timeout(60)
  void aLauncherThatExecsACommandLongerThanTheJdkReadsIsStillRecognised() throws Exception {
    // bin/cairn execs java with a class path of many jars: a command line of several KiB, whose
    // arguments the JDK's ProcessHandle.Info does not report.
    String longArgument = "x".repeat(20_000);
    Process p =
        new ProcessBuilder(
                "/bin/sh", "-c", "while :; do sleep 1; done", "sh", longArgument, "--port", "7071")
            .start();
    try {
      Member m =
          new Member(
              0,
              "node3",
              p.pid(),
              List.of("bin/cairn", "server", "--port", "7071"),
              "x",
              null,
              null);
      assertThat(Processes.running(m).pid()).isEqualTo(p.pid());
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  @Timeout(60)
  void aKilledProcessThatItsParentHasNotReapedHasExited() throws Exception {
    // The parent execs a sleep, which never reaps its background child: killed, the child stays
    // a zombie (its sockets closed, its process entry kept), as a process whose adopter reaps late.
    Process parent =
        new ProcessBuilder("/bin/sh", "-c", "sleep 600 & echo $!; exec sleep 600")
            .redirectErrorStream(true)
            .start();
    try {
      long child =
          Long.parseLong(
              new java.io.BufferedReader(
                      new java.io.InputStreamReader(
                          parent.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII))
                  .readLine()
                  .trim());
      ProcessHandle h = ProcessHandle.of(child).orElseThrow();
      // Until the shell has become the sleep, it may still reap its child itself.
      Path comm = Path.of("/proc", Long.toString(parent.pid()), "comm");
      long execBy = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (!Files.readString(comm).trim().equals("sleep") && System.nanoTime() < execBy) {
        Thread.onSpinWait();
      }
      assertThat(Files.readString(comm).trim()).isEqualTo("sleep");
      assertThat(Processes.exited(h)).isFalse();
      h.destroyForcibly();
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (!Processes.exited(h) && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      assertThat(Processes.exited(h)).isTrue();
      // Still a zombie: its exit is seen before anyone reaped it.
      assertThat(Files.readString(Path.of("/proc", Long.toString(child), "stat"))).contains(") Z");
    } finally {
      parent.destroyForcibly();
    }
  }

  @Test
  @Timeout(60)
  void killsByPidAndRestartsFromTheCommandLineAppendingToTheLog() throws Exception {
    Path log = dir.resolve("out.log");
    Files.writeString(log, "before\n");
    Member m =
        new Member(
            0,
            "s1",
            0,
            List.of("/bin/sh", "-c", "echo started; while :; do sleep 1; done"),
            "x",
            null,
            log);
    long pid = Processes.start(m, dir);
    Member running = m.withPid(pid);
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);

    Processes.kill9(running);
    assertThat(ProcessHandle.of(pid).map(Processes::exited))
        .isNotEqualTo(java.util.Optional.of(false));
    assertThatThrownBy(() -> Processes.kill9(running))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no process");

    long again = Processes.start(m, dir);
    try {
      assertThat(again).isNotEqualTo(pid);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.readString(log).contains("started") && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(Files.readString(log)).startsWith("before\n").contains("started");
    } finally {
      ProcessHandle.of(again).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  @Timeout(60)
  void stopLeavesTheProcessStoppedAndKillEndsIt() throws Exception {
    Member m = new Member(0, "s1", 0, List.of("sleep", "600"), "x", null, null);
    Member running = m.withPid(Processes.start(m, null));
    try {
      Processes.stop(running);
      Path stat = Path.of("/proc/" + running.pid() + "/stat");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!state(stat).equals("T") && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(state(stat)).isEqualTo("T");
      Processes.kill9(running);
      assertThat(ProcessHandle.of(running.pid()).map(Processes::exited))
          .isNotEqualTo(java.util.Optional.of(false));
    } finally {
      ProcessHandle.of(running.pid()).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  @Timeout(60)
  void termAsksTheProcessToExit() throws Exception {
    Path log = dir.resolve("term.log");
    Member m =
        new Member(
            0,
            "s1",
            0,
            List.of(
                "/bin/sh",
                "-c",
                "trap 'echo terminated; exit 0' TERM; echo ready; while :; do sleep 0.1; done"),
            "x",
            null,
            log);
    Member running = m.withPid(Processes.start(m, null));
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!(Files.exists(log) && Files.readString(log).contains("ready"))
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      Processes.term(running);
      assertThat(Processes.awaitExit(running, 30)).isTrue();
      assertThat(Files.readString(log)).contains("terminated");
    } finally {
      ProcessHandle.of(running.pid()).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  /** The state letter of /proc/PID/stat (after the command name in parentheses). */
  private static String state(Path stat) throws IOException {
    String s = Files.readString(stat);
    return s.substring(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  }

  @Test
  void refusesToKillAProcessThatIsNotTheMember() throws Exception {
    Process sleeper = new ProcessBuilder("sleep", "600").start();
    try {
      Member m =
          new Member(
              0, "e1", sleeper.pid(), List.of("/usr/bin/etcd", "--name", "e1"), "x", null, null);
      assertThatThrownBy(() -> Processes.kill9(m)).hasMessageContaining("not killing it");
      assertThat(sleeper.isAlive()).isTrue();
    } finally {
      sleeper.destroyForcibly();
    }
  }
}
