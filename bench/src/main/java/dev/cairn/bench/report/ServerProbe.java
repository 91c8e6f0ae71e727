package dev.cairn.bench.report;

import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpTransport;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * What the benchmarks learn about the machine and the server process under test, from outside: the
 * server's pid (the process listening on the API port, found through {@code /proc/net/tcp}), its
 * CPU time and RSS from {@code /proc/<pid>/}, a full GC through {@code jcmd <pid> GC.run}, the heap
 * in use from {@code GET /metrics}. Linux only; every probe degrades to "unknown" (a negative
 * number or {@code null} in the JSON) instead of failing the run.
 */
public final class ServerProbe {
  /** Clock ticks per second of {@code /proc/<pid>/stat} (USER_HZ, 100 on every usual kernel). */
  static final double CLOCK_TICKS = 100.0;

  private final long pid;

  private ServerProbe(long pid) {
    this.pid = pid;
  }

  /** A probe of {@code pid}, or of the process listening on {@code port} when {@code pid} is 0. */
  public static ServerProbe of(long pid, int port) {
    if (pid > 0) {
      return new ServerProbe(pid);
    }
    return new ServerProbe(pidListeningOn(port).orElse(-1));
  }

  public long pid() {
    return pid;
  }

  public boolean known() {
    return pid > 0 && Files.isDirectory(Paths.get("/proc", Long.toString(pid)));
  }

  /** utime + stime of the server in seconds, or -1. */
  public double cpuSeconds() {
    if (pid <= 0) {
      return -1;
    }
    try {
      String stat = Files.readString(Paths.get("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // After "pid (comm) ": state is field 3, utime field 14, stime field 15 (1-based).
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / CLOCK_TICKS;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Resident set size of the server in bytes, or -1. */
  public long rssBytes() {
    if (pid <= 0) {
      return -1;
    }
    try {
      for (String line : Files.readAllLines(Paths.get("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          String[] p = line.substring(6).trim().split("\\s+");
          return Long.parseLong(p[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // unknown
    }
    return -1;
  }

  /** Asks the server JVM for a full GC ({@code jcmd <pid> GC.run}); false when that failed. */
  public boolean fullGc() {
    if (pid <= 0) {
      return false;
    }
    try {
      Process p =
          new ProcessBuilder("jcmd", Long.toString(pid), "GC.run")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Sum of {@code jvm_memory_used_bytes{area="heap",...}} from {@code GET /metrics}, or -1. */
  public static long heapUsedBytes(HttpTransport http) {
    try {
      HttpAnswer r = http.exchange(HttpCall.get("/metrics"), Duration.ofSeconds(30));
      if (!r.ok()) {
        return -1;
      }
      double sum = 0;
      boolean found = false;
      for (String line : r.text().split("\n")) {
        if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
          found = true;
        }
      }
      return found ? (long) sum : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    } catch (Exception e) {
      return -1;
    }
  }

  /**
   * Heap in use after a full GC: GCs, then reads {@code /metrics} twice (the first read may itself
   * allocate) and keeps the smaller. -1 when unknown.
   */
  public long heapAfterGc(HttpTransport http) {
    boolean gc = fullGc();
    long a = heapUsedBytes(http);
    if (gc) {
      fullGc();
    }
    long b = heapUsedBytes(http);
    if (a < 0) {
      return b;
    }
    return b < 0 ? a : Math.min(a, b);
  }

  /** The pid of the process with a TCP socket listening on {@code port}, from /proc. */
  public static OptionalLong pidListeningOn(int port) {
    List<String> inodes = new ArrayList<>();
    String hexPort = String.format(Locale.ROOT, ":%04X", port);
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        for (String line : Files.readAllLines(Paths.get(table))) {
          String[] f = line.trim().split("\\s+");
          // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
          if (f.length > 9 && f[1].endsWith(hexPort) && f[3].equals("0A")) {
            inodes.add("socket:[" + f[9] + "]");
          }
        }
      } catch (IOException e) {
        // no such table
      }
    }
    if (inodes.isEmpty()) {
      return OptionalLong.empty();
    }
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Paths.get("/proc"), "[0-9]*")) {
      for (Path proc : procs) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
          for (Path fd : fds) {
            try {
              if (inodes.contains(Files.readSymbolicLink(fd).toString())) {
                return OptionalLong.of(Long.parseLong(proc.getFileName().toString()));
              }
            } catch (IOException e) {
              // fd closed meanwhile
            }
          }
        } catch (IOException | SecurityException e) {
          // not ours to look at, or gone
        }
      }
    } catch (IOException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }
}
