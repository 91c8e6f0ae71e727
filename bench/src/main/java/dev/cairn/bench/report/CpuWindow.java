package dev.cairn.bench.report;

/**
 * The CPU time the server and this process spent over a window of wall-clock time: started with
 * {@link #start}, closed with {@link #stop}. Unknown server figures stay negative, and become
 * {@code null} in the JSON.
 */
public final class CpuWindow {
  private final ServerProbe server;
  private final long start = System.nanoTime();
  private final double server0;
  private final double client0 = Figures.ownCpuSeconds();
  private long end;
  private double server1;
  private double client1;

  private CpuWindow(ServerProbe server) {
    this.server = server;
    this.server0 = server.cpuSeconds();
  }

  /** A window starting now. */
  public static CpuWindow start(ServerProbe server) {
    return new CpuWindow(server);
  }

  /** Ends the window now; returns it. */
  public CpuWindow stop() {
    server1 = server.cpuSeconds();
    client1 = Figures.ownCpuSeconds();
    end = System.nanoTime();
    return this;
  }

  /** The window's length in seconds. */
  public double seconds() {
    return (end - start) / 1e9;
  }

  /** Server CPU seconds over the window, negative when unknown. */
  public double serverCpuSeconds() {
    return server0 < 0 || server1 < 0 ? -1 : server1 - server0;
  }

  /** The server's average cores over the window, three decimals; null when unknown. */
  public Double serverCores() {
    return Figures.round(serverCpuSeconds() / seconds(), 3);
  }

  /** This process's average cores over the window, three decimals. */
  public Double clientCores() {
    return Figures.round((client1 - client0) / seconds(), 3);
  }
}
