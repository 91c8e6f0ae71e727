package dev.cairn.http.ops;

import com.typesafe.config.Config;
import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.keyspace.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Whether every namespace's leader answers this node, for {@code /ready}: one probe asks the
 * registry for the names and then each leader for its durable revision ({@link
 * NamespaceLeader.Progress}, which does not keep an idle leader from passivating), at most {@code
 * parallelism} at a time, each given {@code timeout}. A probe's result is kept for {@code cache},
 * and concurrent callers share the probe in flight, so {@code /ready} costs at most one probe per
 * {@code cache} however often it is asked and however many namespaces there are.
 *
 * <p>Thread-safe.
 */
final class LeaderProbe {
  /** Namespaces named in a refusal, at most. */
  private static final int NAMED = 5;

  /**
   * What a probe found: the default namespace's revision, and the namespaces whose leader did not
   * answer (empty when all did), of {@code probed}.
   */
  record Result(long revision, int probed, List<String> silent) {}

  private final Namespaces namespaces;
  private final Duration timeout;
  private final Duration cache;
  private final int parallelism;
  private final LongSupplier clock;

  private CompletableFuture<Result> current;
  private long startedAt;

  LeaderProbe(Namespaces namespaces, Duration timeout, Duration cache, int parallelism) {
    this(namespaces, timeout, cache, parallelism, System::nanoTime);
  }

  LeaderProbe(
      Namespaces namespaces,
      Duration timeout,
      Duration cache,
      int parallelism,
      LongSupplier clock) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1: " + parallelism);
    }
    this.namespaces = namespaces;
    this.timeout = timeout;
    this.cache = cache;
    this.parallelism = parallelism;
    this.clock = clock;
  }

  /** Reads {@code cairn.http.ready}. */
  static LeaderProbe fromConfig(Namespaces namespaces, Config config) {
    Config c = config.getConfig("cairn.http.ready");
    return new LeaderProbe(
        namespaces,
        c.getDuration("probe-timeout"),
        c.getDuration("cache"),
        c.getInt("probe-parallelism"));
  }

  /** The latest result if younger than {@code cache}, else that of a new (or running) probe. */
  synchronized CompletionStage<Result> result() {
    long now = clock.getAsLong();
    if (current != null && (!current.isDone() || now - startedAt < cache.toNanos())) {
      return current;
    }
    startedAt = now;
    current = probe().toCompletableFuture();
    return current;
  }

  private CompletionStage<Result> probe() {
    return namespaces
        .list()
        .handle(
            (names, failure) -> {
              List<String> all = new ArrayList<>();
              all.add(Namespaces.DEFAULT);
              if (names != null) {
                names.stream().filter(n -> !n.equals(Namespaces.DEFAULT)).forEach(all::add);
              }
              return new Run(all, failure != null).start();
            })
        .thenCompose(r -> r);
  }

  /** One probe: {@code parallelism} chains of asks over the names. */
  private final class Run {
    private final Iterator<String> next;
    private final int probed;
    private final List<String> silent = new ArrayList<>();
    private final AtomicInteger chains = new AtomicInteger();
    private final CompletableFuture<Result> done = new CompletableFuture<>();
    private long revision = -1;

    Run(List<String> names, boolean registrySilent) {
      this.next = names.iterator();
      this.probed = names.size();
      if (registrySilent) {
        silent.add("(the namespace registry)");
      }
    }

    CompletableFuture<Result> start() {
      int n = Math.min(parallelism, probed);
      chains.set(n);
      for (int i = 0; i < n; i++) {
        askNext();
      }
      return done;
    }

    private void askNext() {
      String name;
      synchronized (this) {
        if (!next.hasNext()) {
          if (chains.decrementAndGet() == 0) {
            done.complete(new Result(revision, probed, List.copyOf(silent)));
          }
          return;
        }
        name = next.next();
      }
      namespaces
          .ask(name, new NamespaceLeader.Progress(), timeout)
          // Async: a chain of asks answered at once must not grow the stack.
          .whenCompleteAsync(
              (reply, failure) -> {
                synchronized (this) {
                  if (reply instanceof Reply.ProgressReply p) {
                    if (name.equals(Namespaces.DEFAULT)) {
                      revision = p.revision();
                    }
                  } else if (!(reply instanceof Reply.Rejected r && absent(r))) {
                    silent.add(name);
                  }
                }
                askNext();
              });
    }
  }

  /** A namespace deleted since the registry listed it has nothing to lead: not a failure. */
  private static boolean absent(Reply.Rejected r) {
    return r.code() == dev.cairn.core.ErrorCode.NAMESPACE_NOT_FOUND;
  }

  /** The first few of {@code names}, for a refusal's detail. */
  static String some(List<String> names) {
    return names.size() <= NAMED
        ? String.join(", ", names)
        : String.join(", ", names.subList(0, NAMED)) + " and " + (names.size() - NAMED) + " more";
  }
}
