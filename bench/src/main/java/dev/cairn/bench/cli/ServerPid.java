package dev.cairn.bench.cli;

import dev.cairn.bench.report.ServerProbe;
import java.io.PrintStream;
import picocli.CommandLine.Option;

/** {@code --server-pid}: the server process whose CPU and memory a benchmark reports. */
public final class ServerPid {
  @Option(
      names = "--server-pid",
      description =
          "server process for CPU and memory figures (default: the process listening on the server's port)")
  long pid;

  /**
   * A probe of the process given, or of the one listening on {@code port}; says on {@code log}
   * (prefixed with {@code tag}) when there is none, so that its figures will be null.
   */
  public ServerProbe probe(int port, PrintStream log, String tag) {
    ServerProbe server = ServerProbe.of(pid, port);
    if (!server.known()) {
      log.printf("[%s] server process not found (port %d); its figures will be null%n", tag, port);
    }
    return server;
  }
}
