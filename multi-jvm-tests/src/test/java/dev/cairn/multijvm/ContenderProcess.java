package dev.cairn.multijvm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client process of the proofs, by default a {@link LockContender} (or another main class such as
 * {@link RecipeWorker}, writing history lines in the same format), running as a child JVM on the
 * test JVM's classpath, with its history file and its output file; it can be killed with SIGKILL,
 * frozen and thawed.
 */
final class ContenderProcess implements AutoCloseable {
  private final Process process;
  private final String label;
  private final Path history;
  private final Path output;
  private final List<LockHistory.Event> events = new ArrayList<>();
  private long read;

  private ContenderProcess(Process process, String label, Path history, Path output) {
    this.process = process;
    this.label = label;
    this.history = history;
    this.output = output;
  }

  /**
   * Starts {@code contenders} contender threads against {@code server}, writing their history to
   * {@code <dir>/<label>.history}; {@code args} are the further {@code name=value} arguments of
   * {@link LockContender}.
   */
  static ContenderProcess start(
      CairnProcess server, Path dir, String label, int contenders, String... args)
      throws IOException {
    return start(LockContender.class, server, dir, label, contenders, args);
  }

  /**
   * As {@link #start(CairnProcess, Path, String, int, String...)}, running {@code main}, which
   * takes the same {@code url}, {@code label}, {@code contenders} and {@code history} arguments.
   */
  static ContenderProcess start(
      Class<?> main, CairnProcess server, Path dir, String label, int contenders, String... args)
      throws IOException {
    Path history = dir.resolve(label + ".history");
    Path output = dir.resolve(label + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(
        List.of(
            "-Xms16m",
            "-Xmx96m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:+ExitOnOutOfMemoryError"));
    cmd.add("-cp");
    cmd.add(CairnProcess.childClasspath());
    cmd.add(main.getName());
    cmd.add("url=http://127.0.0.1:" + server.port());
    cmd.add("label=" + label);
    cmd.add("contenders=" + contenders);
    cmd.add("history=" + history.toAbsolutePath());
    cmd.addAll(List.of(args));
    Process p =
        Signals.killOnExit(
            new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(output.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Paths.get("/dev/null").toFile()))
                .start());
    return new ContenderProcess(p, label, history, output);
  }

  String label() {
    return label;
  }

  Path history() {
    return history;
  }

  /**
   * The history written so far, as complete lines (a line being written is left for the next call);
   * read incrementally, so polling it often costs little.
   */
  synchronized List<LockHistory.Event> events() {
    try (FileChannel ch = FileChannel.open(history, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > read) {
        ByteBuffer buf = ByteBuffer.allocate((int) (size - read));
        while (buf.hasRemaining() && ch.read(buf, read + buf.position()) > 0) {}
        String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        if (end >= 0) {
          for (String l : text.substring(0, end).split("\n")) {
            events.add(LockHistory.Event.parse(l));
          }
          read += text.substring(0, end + 1).getBytes(StandardCharsets.UTF_8).length;
        }
      }
    } catch (NoSuchFileException e) {
      // not started yet
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return List.copyOf(events);
  }

  /**
   * SIGKILL; returns {@link System#nanoTime()} just before the signal, once the process is gone.
   */
  long kill9() {
    long at = System.nanoTime();
    process.destroyForcibly();
    if (awaitExit(Duration.ofSeconds(30)) == null) {
      throw new IllegalStateException(label + " (pid " + process.pid() + ") survived SIGKILL");
    }
    return at;
  }

  void suspend() {
    Signals.suspend(process);
  }

  void resume() {
    Signals.resume(process);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Waits up to {@code timeout} for the exit; returns its code, or null. */
  Integer awaitExit(Duration timeout) {
    try {
      return process.onExit().get(timeout.toNanos(), TimeUnit.NANOSECONDS).exitValue();
    } catch (TimeoutException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The process's output (its own errors; the history is in {@link #history()}). */
  String output() {
    try {
      return Files.exists(output) ? Files.readString(output) : "";
    } catch (IOException e) {
      return "(cannot read " + output + ": " + e + ")";
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      awaitExit(Duration.ofSeconds(30));
    }
  }

  @Override
  public String toString() {
    return label + "[pid " + process.pid() + "]";
  }
}
