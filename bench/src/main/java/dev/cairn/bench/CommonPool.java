package dev.cairn.bench;

/** Settings every benchmark program needs before it does anything else. */
public final class CommonPool {
  private CommonPool() {}

  /**
   * Gives the JDK common pool at least two threads. With one (any 2-core machine) every async
   * completion of a {@code CompletableFuture}, which the JDK's HTTP and WebSocket client use
   * throughout, runs on a brand-new thread: a load generator then measures its own thread churn,
   * not the server. Call first thing in {@code main}, before anything touches the pool.
   */
  public static void ensureThreads() {
    String key = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(key) == null) {
      System.setProperty(
          key, Integer.toString(Math.max(4, Runtime.getRuntime().availableProcessors())));
    }
  }
}
