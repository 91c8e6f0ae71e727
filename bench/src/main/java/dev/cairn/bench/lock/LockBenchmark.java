package dev.cairn.bench.lock;

import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.cli.EtcdApi;
import dev.cairn.bench.cli.RunWindow;
import dev.cairn.bench.cli.TargetUrl;
import dev.cairn.bench.cli.ZooKeeperOptions;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.report.Figures;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code --contenders} threads, each with its own lease (or ZooKeeper session), loop acquire →
 * critical section ({@code --hold}, default empty) → release on one lock, closed-loop; prints one
 * JSON line: acquisitions per second in the measured window and the acquire latency (request sent →
 * lock held; it includes the wait for the other contenders) at p50/p99/p99.9.
 *
 * <p>An acquisition counts in the window when the lock is held inside it. Failures are counted as
 * {@code errors} (the contender pauses 10 ms and tries again), never dropped. Exit status: 0 when
 * acquisitions succeeded, 3 when none did, 2 on bad usage.
 */
@Command(
    name = "lock-benchmark",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Lock acquisitions/s and acquire latency on Cairn, etcd or ZooKeeper (Curator).")
public final class LockBenchmark implements Callable<Integer> {

  /** The lock services. */
  public enum Target {
    CAIRN,
    ETCD,
    ZOOKEEPER
  }

  @Option(
      names = "--recipe",
      description =
          "lock, semaphore (--permits) or queue (a turn: push, take, ack) (default:"
              + " ${DEFAULT-VALUE})")
  LockPeer.Recipe recipe = LockPeer.Recipe.LOCK;

  @Option(names = "--permits", description = "a semaphore's permits (default: ${DEFAULT-VALUE})")
  int permits = 2;

  @Option(names = "--target", description = "cairn, etcd or zookeeper (default: ${DEFAULT-VALUE})")
  Target target = Target.CAIRN;

  @Option(
      names = {"-c", "--contenders"},
      description = "contenders, each with its own lease or session (default: ${DEFAULT-VALUE})")
  int contenders = 8;

  @Option(
      names = "--hold",
      defaultValue = "0ms",
      description = "time spent holding the lock in each turn (default: ${DEFAULT-VALUE})")
  Duration hold;

  @Option(
      names = "--ttl",
      description = "lease TTL in seconds (Cairn, etcd) (default: ${DEFAULT-VALUE})")
  int ttl = 10;

  @Option(
      names = "--lock",
      description = "lock name (ZooKeeper: under /bench-locks/) (default: ${DEFAULT-VALUE})")
  String lock = "bench";

  @Mixin RunWindow window;

  @Mixin TargetUrl url;

  @Mixin EtcdApi etcdApi;

  @Mixin ZooKeeperOptions zooKeeper;

  private final PrintStream out = System.out;
  private final PrintStream log = System.err;

  public static void main(String[] args) {
    Cli.main(Cli.commandLine(new LockBenchmark()), args);
  }

  @Override
  public Integer call() throws Exception {
    Cli.quietLibraryLogging();
    if (contenders <= 0 || ttl <= 0) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "contenders and ttl must be positive");
    }
    try (LockPeer peer = peer()) {
      List<LockPeer.Contender> cs = new ArrayList<>();
      try {
        for (int i = 0; i < contenders; i++) {
          cs.add(peer.open(i));
        }
        log.printf(
            "[%s] " + op() + ": %d contenders via %s, hold %s, warmup %.1fs, measuring %.1fs%n",
            target.name().toLowerCase(),
            contenders,
            peer.driver(),
            hold,
            window.warmupSeconds(),
            window.durationSeconds());
        return measure(peer, cs);
      } finally {
        for (LockPeer.Contender c : cs) {
          c.close();
        }
      }
    }
  }

  /** The result line's {@code op}: {@code lock}, {@code semaphore} or {@code queue}. */
  private String op() {
    return recipe.name().toLowerCase();
  }

  private LockPeer peer() throws Exception {
    return switch (target) {
      case CAIRN -> new HttpLockPeer(false, url.resolve(false), "", lock, ttl, recipe, permits);
      case ETCD -> {
        String api;
        try (HttpTransport probe = new HttpTransport(url.resolve(true), 1)) {
          api = etcdApi.resolve(probe);
        }
        yield new HttpLockPeer(true, url.resolve(true), api, lock, ttl);
      }
      case ZOOKEEPER ->
          new CuratorLockPeer(
              zooKeeper.connect(),
              zooKeeper.sessionTimeout(),
              "/bench-" + recipe.name().toLowerCase() + "s/" + lock,
              recipe,
              permits);
    };
  }

  /** One contender's loop and its figures. */
  private final class Loop implements Runnable {
    final LockPeer.Contender contender;
    final long windowStart;
    final long windowEnd;
    final Histogram acquire = new Histogram(3_600_000_000L, 3);
    final Histogram release = new Histogram(3_600_000_000L, 3);
    long acquisitions;
    final AtomicLong errors;
    volatile Throwable firstError;

    Loop(LockPeer.Contender contender, long windowStart, long windowEnd, AtomicLong errors) {
      this.contender = contender;
      this.windowStart = windowStart;
      this.windowEnd = windowEnd;
      this.errors = errors;
    }

    @Override
    public void run() {
      while (System.nanoTime() < windowEnd) {
        long t0 = System.nanoTime();
        try {
          contender.acquire();
        } catch (Exception e) {
          failed(e);
          continue;
        }
        long t1 = System.nanoTime();
        if (!hold.isZero()) {
          LockSupport.parkNanos(hold.toNanos()); // the critical section
        }
        long t2 = System.nanoTime();
        try {
          contender.release();
        } catch (Exception e) {
          failed(e);
          continue;
        }
        long t3 = System.nanoTime();
        if (t1 >= windowStart && t1 < windowEnd) {
          acquisitions++;
          acquire.recordValue(Math.max(1, (t1 - t0) / 1_000));
          release.recordValue(Math.max(1, (t3 - t2) / 1_000));
        }
      }
    }

    private void failed(Exception e) {
      errors.incrementAndGet();
      if (firstError == null) {
        firstError = e;
      }
      LockSupport.parkNanos(10_000_000L);
    }
  }

  private int measure(LockPeer peer, List<LockPeer.Contender> cs) throws Exception {
    long start = System.nanoTime();
    long windowStart = start + window.warmup().toNanos();
    long windowEnd = windowStart + window.duration().toNanos();
    AtomicLong errors = new AtomicLong();
    List<Loop> loops = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < cs.size(); i++) {
      Loop l = new Loop(cs.get(i), windowStart, windowEnd, errors);
      loops.add(l);
      Thread t = new Thread(l, "contender-" + i);
      t.setDaemon(true);
      threads.add(t);
    }
    double cpu0 = 0;
    boolean cpuTaken = false;
    threads.forEach(Thread::start);
    while (System.nanoTime() < windowStart) {
      LockSupport.parkNanos(Math.min(windowStart - System.nanoTime(), 50_000_000L));
    }
    cpu0 = Figures.ownCpuSeconds();
    cpuTaken = true;
    while (System.nanoTime() < windowEnd) {
      LockSupport.parkNanos(Math.min(windowEnd - System.nanoTime(), 50_000_000L));
    }
    double cpu = cpuTaken ? Figures.ownCpuSeconds() - cpu0 : -1;
    for (Thread t : threads) {
      t.join(120_000); // a contender finishes the turn it is in
    }
    Histogram acquire = new Histogram(3_600_000_000L, 3);
    Histogram release = new Histogram(3_600_000_000L, 3);
    long n = 0;
    for (Loop l : loops) {
      acquire.add(l.acquire);
      release.add(l.release);
      n += l.acquisitions;
      if (l.firstError != null && errors.get() > 0) {
        log.println("[lock] error: " + l.firstError);
      }
    }
    double seconds = window.durationSeconds();
    Map<String, Object> line = Figures.header(op());
    line.put("target", target.name().toLowerCase());
    line.put("contenders", contenders);
    line.put("hold_ms", hold.toMillis());
    line.put("acquisitions", n);
    line.put("acq_per_sec", Figures.round(n / seconds, 1));
    line.put("acquire_p50_ms", Figures.ms(acquire, 50));
    line.put("acquire_p99_ms", Figures.ms(acquire, 99));
    line.put("acquire_p999_ms", Figures.ms(acquire, 99.9));
    line.put("acquire_max_ms", Figures.ms(acquire, 100));
    line.put("release_p50_ms", Figures.ms(release, 50));
    line.put("release_p99_ms", Figures.ms(release, 99));
    line.put("errors", errors.get());
    line.put("duration_s", seconds);
    line.put("warmup_s", window.warmupSeconds());
    line.put("driver", peer.driver());
    line.put("gen_cpu_cores", Figures.round(cpu / seconds, 2));
    out.println(Figures.json(line));
    out.flush();
    return n > 0 ? 0 : 3;
  }
}
