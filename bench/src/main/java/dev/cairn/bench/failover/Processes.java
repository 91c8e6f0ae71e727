package dev.cairn.bench.failover;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Kills and restarts member processes by process id. */
final class Processes {
  private Processes() {}

  /**
   * Sends {@code SIGKILL} to member {@code m}'s process ({@link ProcessHandle#destroyForcibly} is
   * {@code kill -9} on Linux) and waits until it has exited (see {@link #exited}). Refuses when no
   * such process runs, or when the process's executable is not the one of the member's command (the
   * pid was reused).
   */
  static void kill9(Member m) throws IOException, InterruptedException {
    ProcessHandle p = running(m);
    if (!p.destroyForcibly()) {
      throw new IOException(m.name() + ": could not kill pid " + m.pid());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!exited(p)) {
      if (System.nanoTime() > deadline) {
        throw new IOException(m.name() + ": pid " + m.pid() + " still runs after kill -9");
      }
      Thread.sleep(1);
    }
  }

  /**
   * Whether {@code p} has exited, its descriptors (its sockets) closed: gone, or a zombie that its
   * parent has not reaped yet. The JDK counts a zombie as alive, and a process this one did not
   * start (one {@code bin/cairn cluster up} started) may stay one for seconds, until whoever
   * adopted it reaps it; its exit would then be seen that much late.
   */
  static boolean exited(ProcessHandle p) {
    if (!p.isAlive()) {
      return true;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
      // pid (comm) state ...: comm may hold spaces and parentheses, the state follows the last ')'
      int close = stat.lastIndexOf(')');
      char state = close >= 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
      return state == 'Z' || state == 'X';
    } catch (IOException | SecurityException e) {
      return !p.isAlive();
    }
  }

  /**
   * Sends {@code SIGTERM} to member {@code m}'s process (checked as for {@link #kill9}), asking it
   * to shut down gracefully; does not wait. {@link #awaitExit} waits.
   */
  static void term(Member m) throws IOException {
    if (!running(m).destroy()) {
      throw new IOException(m.name() + ": could not send SIGTERM to pid " + m.pid());
    }
  }

  /** Waits until member {@code m}'s process has exited, at most {@code seconds}; whether it has. */
  static boolean awaitExit(Member m, long seconds) throws InterruptedException {
    ProcessHandle p = ProcessHandle.of(m.pid()).orElse(null);
    if (p == null) {
      return true;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!exited(p)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(1);
    }
    return true;
  }

  /**
   * Sends {@code SIGSTOP} to member {@code m}'s process (checked as for {@link #kill9}): it stops
   * at once but keeps its sockets open, as a machine that hangs or drops off the network does.
   */
  static void stop(Member m) throws IOException, InterruptedException {
    running(m);
    Process kill = new ProcessBuilder("kill", "-STOP", Long.toString(m.pid())).start();
    if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException(m.name() + ": kill -STOP " + m.pid() + " failed");
    }
  }

  /**
   * The running process of {@code m}, checked as {@link #kill9} says: its executable is the one the
   * member's command names, or (a launcher script that execs {@code java}) it shares an argument
   * with that command. A process whose details the system hides passes.
   */
  static ProcessHandle running(Member m) throws IOException {
    ProcessHandle p =
        ProcessHandle.of(m.pid())
            .filter(h -> !exited(h))
            .orElseThrow(() -> new IOException(m.name() + ": no process " + m.pid()));
    Optional<String> exe = p.info().command();
    if (exe.isPresent() && !isMember(exe.get(), arguments(p), m.command())) {
      throw new IOException(
          m.name()
              + ": pid "
              + m.pid()
              + " runs "
              + exe.get()
              + ", not "
              + m.command().get(0)
              + "; not killing it");
    }
    return p;
  }

  /**
   * The arguments of {@code p}, or null when the system does not say. The JDK reports none for a
   * command line longer than it reads (a {@code java} with a long class path, as {@code bin/cairn}
   * execs), so on Linux they come from {@code /proc/<pid>/cmdline} then.
   */
  static String[] arguments(ProcessHandle p) {
    Optional<String[]> reported = p.info().arguments();
    if (reported.isPresent() && reported.get().length > 0) {
      return reported.get();
    }
    Path cmdline = Path.of("/proc", Long.toString(p.pid()), "cmdline");
    try {
      String[] all = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).split("\0");
      return all.length > 1 ? Arrays.copyOfRange(all, 1, all.length) : null;
    } catch (IOException | SecurityException e) {
      return null;
    }
  }

  /**
   * Whether a process running {@code exe} with {@code args} (null: unknown) is {@code command}'s.
   */
  static boolean isMember(String exe, String[] args, List<String> command) {
    if (baseName(exe).equals(baseName(command.get(0)))) {
      return true;
    }
    if (args == null) {
      return false;
    }
    Set<String> ours = new HashSet<>(command.subList(1, command.size()));
    return Arrays.stream(args).anyMatch(a -> a.length() > 2 && ours.contains(a));
  }

  /**
   * Starts member {@code m} again with its command line, in {@code dir} (null: this process's
   * directory), its output appended to its log (discarded when it has none); returns the new pid.
   */
  static long start(Member m, Path dir) throws IOException {
    ProcessBuilder b = new ProcessBuilder(m.command()).redirectErrorStream(true);
    if (dir != null) {
      b.directory(dir.toFile());
    }
    b.redirectOutput(
        m.log() == null
            ? ProcessBuilder.Redirect.DISCARD
            : ProcessBuilder.Redirect.appendTo(m.log().toFile()));
    b.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    return b.start().pid();
  }

  private static String baseName(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? path : path.substring(slash + 1);
  }
}
