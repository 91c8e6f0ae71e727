package dev.cairn.bench.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.cli.TargetUrl;
import dev.cairn.bench.report.Figures;
import dev.cairn.client.CairnClient;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Grants {@code --leases} leases of {@code --ttl} through one {@link CairnClient} and lets the
 * client keep them alive for {@code --hold} (through its one session: heartbeats, not a request per
 * lease). Then checks with {@code GET /v1/leases} that every one of them still exists, and counts
 * the losses the client reported. Prints one JSON line; exit status 0 when none was lost, 3
 * otherwise.
 */
@Command(
    name = "client-lease-hold",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Keeps N leases alive through one Java client; checks that none expired.")
public final class ClientLeaseHold implements Callable<Integer> {
  @Mixin TargetUrl url;

  @Option(
      names = {"-n", "--leases"},
      description = "leases (default: ${DEFAULT-VALUE})")
  int leases = 10_000;

  @Option(names = "--ttl", description = "TTL in seconds (default: ${DEFAULT-VALUE})")
  int ttl = 10;

  @Option(
      names = "--hold",
      defaultValue = "120s",
      description = "how long to keep them alive (default: ${DEFAULT-VALUE})")
  Duration hold;

  @Option(
      names = "--grant-concurrency",
      description = "grants in flight (default: ${DEFAULT-VALUE})")
  int grantConcurrency = 64;

  private final PrintStream out = System.out;
  private final PrintStream log = System.err;

  public static void main(String[] args) {
    Cli.main(Cli.commandLine(new ClientLeaseHold()), args);
  }

  @Override
  public Integer call() throws Exception {
    Cli.quietLibraryLogging();
    Map<String, Object> j = Figures.header("client_lease_hold");
    j.put("leases", leases);
    j.put("ttl_s", ttl);
    j.put("hold_s", hold.toSeconds());
    AtomicLong lost = new AtomicLong();
    Set<Long> ids = ConcurrentHashMap.newKeySet();
    String base = url.resolve(false).toString();
    try (CairnClient client = CairnClient.connect(base)) {
      client.leases().onLoss(e -> lost.incrementAndGet());
      long t0 = System.nanoTime();
      Semaphore inFlight = new Semaphore(grantConcurrency);
      CountDownLatch done = new CountDownLatch(leases);
      AtomicLong failed = new AtomicLong();
      for (int i = 0; i < leases; i++) {
        inFlight.acquire();
        client
            .leases()
            .grant(Duration.ofSeconds(ttl))
            .whenComplete(
                (l, e) -> {
                  if (e == null) {
                    ids.add(l.id());
                  } else {
                    failed.incrementAndGet();
                  }
                  inFlight.release();
                  done.countDown();
                });
      }
      done.await();
      double grantS = (System.nanoTime() - t0) / 1e9;
      j.put("granted", ids.size());
      j.put("grant_failures", failed.get());
      j.put("grant_s", Figures.round(grantS, 1));
      log.printf("[client-lease] %d leases granted in %.1fs%n", ids.size(), grantS);
      long cpu0 = (long) (Figures.ownCpuSeconds() * 1e3);
      long end = System.nanoTime() + hold.toNanos();
      while (System.nanoTime() < end) {
        // The measured window: report progress every 10 s until the hold is over.
        Thread.sleep(Math.min(10_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        log.printf(
            "[client-lease] kept alive %d, lost %d%n", client.leases().keptAlive(), lost.get());
      }
      j.put("client_cpu_s_during_hold", Figures.round(Figures.ownCpuSeconds() - cpu0 / 1e3, 2));
      Set<Long> listed = listed(base);
      Set<Long> missing = new HashSet<>(ids);
      missing.removeAll(listed);
      j.put("kept_alive_at_end", client.leases().keptAlive());
      j.put("lost_reported", lost.get());
      j.put("missing_at_end", missing.size());
      boolean ok = missing.isEmpty() && lost.get() == 0 && failed.get() == 0;
      j.put("ok", ok);
      out.println(Figures.json(j));
      return ok ? 0 : 3;
    }
  }

  private static Set<Long> listed(String base) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/v1/leases")).build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode leases = new ObjectMapper().readTree(r.body()).path("leases");
    Set<Long> out = new HashSet<>();
    for (JsonNode l : leases) {
      out.add(l.path("id").asLong());
    }
    return out;
  }
}
