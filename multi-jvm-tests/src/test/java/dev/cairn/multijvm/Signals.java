package dev.cairn.multijvm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Signals to child processes (SIGSTOP, SIGCONT, any other by name) and their state as the kernel
 * reports it; and the reaper that kills every child still alive when the test JVM exits, so a
 * failed or timed-out test leaves no process behind.
 */
final class Signals {
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> LIVE.forEach(Process::destroyForcibly), "child-process-reaper"));
  }

  private Signals() {}

  /** Registers {@code p} to be killed if it still runs when this JVM exits; returns it. */
  static Process killOnExit(Process p) {
    LIVE.add(p);
    p.onExit().thenRun(() -> LIVE.remove(p));
    return p;
  }

  /** SIGSTOP; returns once the kernel reports the process stopped. */
  static void suspend(Process p) {
    send(p.pid(), "STOP");
    awaitState(p, true);
  }

  /** SIGCONT; returns once the kernel no longer reports the process stopped. */
  static void resume(Process p) {
    send(p.pid(), "CONT");
    awaitState(p, false);
  }

  /**
   * The process's state letter from {@code /proc/<pid>/stat}: R running, S sleeping, T stopped, Z
   * zombie...; '?' if it cannot be read (no such process, or not Linux).
   */
  static char state(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      int close = stat.lastIndexOf(')'); // the command name, in parentheses, may hold spaces
      return stat.charAt(close + 2);
    } catch (IOException | RuntimeException e) {
      return '?';
    }
  }

  /** Sends {@code kill -<signal> <pid>}. */
  static void send(long pid, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void awaitState(Process p, boolean stopped) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while ((state(p.pid()) == 'T') != stopped) {
      if (!p.isAlive() || System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            "pid "
                + p.pid()
                + (stopped ? " did not stop" : " did not continue")
                + ": state "
                + state(p.pid())
                + (p.isAlive() ? "" : ", exited"));
      }
      LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
    }
  }
}
