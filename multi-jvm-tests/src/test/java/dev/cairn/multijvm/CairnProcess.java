package dev.cairn.multijvm;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.ZipFile;

/**
 * A Cairn server running as a child JVM: {@code java -cp <this JVM's classpath> dev.cairn.http.Main
 * server --port <free port> --data-dir <dir>}, with the same {@code java} binary as the test JVM
 * and its stdout and stderr going to a file.
 *
 * <p>It can wait for readiness (polling {@code GET /ready} against a deadline), kill the process
 * with SIGKILL ({@link #kill9()}), ask it to stop with SIGTERM ({@link #terminate(Duration)}),
 * freeze and thaw it with SIGSTOP and SIGCONT ({@link #suspend()}, {@link #resume()}). Every child
 * still alive when the test JVM exits is killed, so a failed or timed-out test leaves no server
 * behind.
 */
public final class CairnProcess implements AutoCloseable {

  /**
   * Small heap, one GC thread and the C1 compiler only: the test machine is small, and a quick
   * start matters more here than peak speed.
   */
  public static final List<String> DEFAULT_JVM_OPTIONS =
      List.of(
          "-Xms64m",
          "-Xmx512m",
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-XX:+ExitOnOutOfMemoryError");

  private static final Duration POLL = Duration.ofMillis(50);

  private final Process process;
  private final Path dataDir;
  private final Path output;
  private final int port;
  private final URI base;
  private final long startedNanos;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private CairnProcess(Process process, Path dataDir, Path output, int port, long startedNanos) {
    this.process = process;
    this.dataDir = dataDir;
    this.output = output;
    this.port = port;
    this.base = URI.create("http://127.0.0.1:" + port);
    this.startedNanos = startedNanos;
  }

  /**
   * Launches a server on {@code dataDir} and a free port, without waiting for it; its output goes
   * to {@code output} (replaced).
   */
  public static CairnProcess launch(Path dataDir, Path output, String... extraServerArgs)
      throws IOException {
    return launch(dataDir, output, List.of(), extraServerArgs);
  }

  /**
   * Launches a server with extra JVM options (after {@link #DEFAULT_JVM_OPTIONS}, so they win),
   * e.g. {@code -Dcairn.namespace.snapshot-every=500}: the server reads system properties over its
   * configuration.
   */
  public static CairnProcess launch(
      Path dataDir, Path output, List<String> jvmOptions, String... extraServerArgs)
      throws IOException {
    return launchOn(freePort(), dataDir, output, jvmOptions, extraServerArgs);
  }

  /**
   * Launches a server on a given HTTP port, e.g. a node restarted where it ran before, so that its
   * clients and the other nodes find it at the same address.
   */
  public static CairnProcess launchOn(
      int port, Path dataDir, Path output, List<String> jvmOptions, String... extraServerArgs)
      throws IOException {
    return launchOn(port, dataDir, output, jvmOptions, Map.of(), extraServerArgs);
  }

  /**
   * As {@link #launchOn(int, Path, Path, List, String...)}, with variables added to the child's
   * environment (e.g. what a Kubernetes pod sees).
   */
  public static CairnProcess launchOn(
      int port,
      Path dataDir,
      Path output,
      List<String> jvmOptions,
      Map<String, String> environment,
      String... extraServerArgs)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBinary());
    cmd.addAll(DEFAULT_JVM_OPTIONS);
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(childClasspath());
    cmd.add("dev.cairn.http.Main");
    cmd.add("server");
    cmd.add("--host");
    cmd.add("127.0.0.1");
    cmd.add("--port");
    cmd.add(Integer.toString(port));
    cmd.add("--data-dir");
    cmd.add(dataDir.toAbsolutePath().toString());
    cmd.addAll(List.of(extraServerArgs));
    Files.createDirectories(output.toAbsolutePath().getParent());
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(output.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(Paths.get("/dev/null").toFile()));
    pb.environment().putAll(environment);
    long started = System.nanoTime();
    Process p = Signals.killOnExit(pb.start());
    return new CairnProcess(p, dataDir, output, port, started);
  }

  /**
   * Launches a server and waits until {@code GET /ready} answers 200. Should the chosen port be
   * taken between choosing and binding (a rare race), it retries on another port.
   */
  public static CairnProcess start(
      Path dataDir, Path output, Duration readyTimeout, List<String> jvmOptions, String... args)
      throws IOException {
    for (int attempt = 1; ; attempt++) {
      CairnProcess p = launch(dataDir, output, jvmOptions, args);
      try {
        p.awaitReady(readyTimeout);
        return p;
      } catch (IllegalStateException e) {
        p.close();
        if (attempt >= 3 || !p.output().contains("Address already in use")) {
          throw e;
        }
      }
    }
  }

  // ---------------------------------------------------------------- readiness and exit

  /**
   * Polls {@code GET /ready} until it answers 200. Fails at once, with the server's output, if the
   * process exits first, and after {@code timeout} if it never becomes ready (killing it).
   */
  public void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpRequest ready =
        HttpRequest.newBuilder(uri("/ready")).timeout(Duration.ofSeconds(2)).GET().build();
    String last = "no answer yet";
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "server pid "
                + pid()
                + " exited with code "
                + process.exitValue()
                + " before it was ready; output ("
                + output
                + "):\n"
                + tail(60));
      }
      try {
        HttpResponse<String> r = http.send(ready, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
        last = r.statusCode() + " " + r.body();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for readiness", e);
      }
      if (System.nanoTime() - deadline > 0) {
        String out = tail(60);
        kill9();
        throw new IllegalStateException(
            "server pid "
                + pid()
                + " not ready after "
                + timeout
                + " (last /ready: "
                + last
                + "); output ("
                + output
                + "):\n"
                + out);
      }
      // The poll interval; returns early if the process exits, which the next turn reports.
      awaitExit(POLL);
    }
  }

  /** Waits up to {@code timeout} for the process to exit; returns its exit code, or null. */
  public Integer awaitExit(Duration timeout) {
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

  // ---------------------------------------------------------------- signals

  /** SIGKILL ({@link Process#destroyForcibly()} on Linux), then waits for the exit; returns it. */
  public int kill9() {
    process.destroyForcibly();
    Integer code = awaitExit(Duration.ofSeconds(30));
    if (code == null) {
      throw new IllegalStateException("pid " + pid() + " survived SIGKILL for 30 s");
    }
    return code;
  }

  /**
   * SIGTERM ({@link Process#destroy()} on Linux), then waits up to {@code timeout} for the exit.
   * Returns the exit code, or null if the process is still running then (it is left running).
   */
  public Integer terminate(Duration timeout) {
    process.destroy();
    return awaitExit(timeout);
  }

  /**
   * SIGSTOP: the process freezes (its sockets stay open, nothing answers). Returns once the kernel
   * reports it stopped.
   */
  public void suspend() {
    Signals.suspend(process);
  }

  /** SIGCONT: a suspended process runs on. Returns once the kernel no longer reports it stopped. */
  public void resume() {
    Signals.resume(process);
  }

  /** The process's state letter, see {@link Signals#state(long)}. */
  public char state() {
    return Signals.state(pid());
  }

  /** Sends {@code kill -<signal> <pid>}. */
  public void signal(String signal) {
    Signals.send(pid(), signal);
  }

  // ---------------------------------------------------------------- accessors

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Path outputFile() {
    return output;
  }

  /** When the JVM was launched, from {@link System#nanoTime()}. */
  public long startedNanos() {
    return startedNanos;
  }

  /** {@code http://127.0.0.1:<port><path>}; {@code path} starts with a slash. */
  public URI uri(String path) {
    return base.resolve(path);
  }

  /** Everything the process has written to stdout and stderr so far. */
  public String output() {
    try {
      return Files.exists(output)
          ? new String(Files.readAllBytes(output), StandardCharsets.UTF_8)
          : "";
    } catch (IOException e) {
      return "(cannot read " + output + ": " + e + ")";
    }
  }

  /** The last {@code lines} lines of the output. */
  public String tail(int lines) {
    String[] all = output().split("\n", -1);
    int from = Math.max(0, all.length - lines);
    return String.join("\n", java.util.Arrays.copyOfRange(all, from, all.length));
  }

  /** Kills the process if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      kill9();
    }
  }

  @Override
  public String toString() {
    return "cairn[pid " + pid() + ", port " + port + ", " + dataDir + "]";
  }

  // ---------------------------------------------------------------- helpers

  private static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static String classpath;

  /**
   * The test JVM's own classpath, except that the project's snapshot jars are copied once per test
   * JVM into a private directory: other builds on the machine reinstall them in the local
   * repository, and a jar replaced under a running server makes it fail with NoClassDefFoundError,
   * or makes a restart run different code than the run before it.
   */
  static synchronized String childClasspath() throws IOException {
    if (classpath != null) {
      return classpath;
    }
    Path root = Path.of(System.getProperty("cairn.it.work-dir", "target/it-work"));
    Path dir = Files.createTempDirectory(Files.createDirectories(root), "classpath-");
    List<String> entries = new ArrayList<>();
    int i = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (entry.endsWith("-SNAPSHOT.jar") && Files.isRegularFile(p)) {
        Path copy = dir.resolve(String.format("%02d-%s", i++, p.getFileName()));
        copyIntact(p, copy);
        entries.add(copy.toString());
      } else {
        entries.add(entry);
      }
    }
    classpath = String.join(File.pathSeparator, entries);
    return classpath;
  }

  /** Copies a jar, retrying while it is being rewritten (a copy that is not a whole zip). */
  private static void copyIntact(Path jar, Path copy) throws IOException {
    IOException last = null;
    for (int attempt = 0; attempt < 20; attempt++) {
      Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
      try (ZipFile zip = new ZipFile(copy.toFile())) {
        zip.stream().forEach(e -> {});
        return;
      } catch (IOException e) {
        last = e;
        LockSupport.parkNanos(Duration.ofMillis(250).toNanos()); // wait out the writer
      }
    }
    throw new IOException("cannot take an intact copy of " + jar, last);
  }

  /** A port free on the loopback interface when this returns. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
