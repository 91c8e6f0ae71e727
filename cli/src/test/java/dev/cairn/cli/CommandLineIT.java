package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real {@code bin/cairn}, run as a process, against a real node started by the test: exit
 * codes, {@code --output json} read back, bad usage, {@code lock} excluding a concurrent
 * invocation, {@code watch} resuming across a restart of the node.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CommandLineIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path ROOT = Path.of(System.getProperty("cairn.root", "..")).toAbsolutePath();
  static TestNode node;

  @BeforeAll
  static void start() throws IOException {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** A finished run of bin/cairn. */
  record Run(int code, String out, String err) {
    JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + out + " (stderr: " + err + ")", e);
      }
    }
  }

  static ProcessBuilder cairn(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ROOT.resolve("bin/cairn").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("CAIRN_ENDPOINTS", node.url());
    pb.environment().remove("CAIRN_NAMESPACE");
    return pb;
  }

  static Run input(String stdin, String... args) {
    try {
      Process p = cairn(args).start();
      CompletableFuture<String> out = drain(p.getInputStream());
      CompletableFuture<String> err = drain(p.getErrorStream());
      try (var in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!p.waitFor(90, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("bin/cairn " + String.join(" ", args) + " did not end");
      }
      return new Run(p.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static Run run(String... args) {
    return input(null, args);
  }

  static CompletableFuture<String> drain(java.io.InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        r -> new Thread(r).start());
  }

  @Test
  void putGetDelAnswerWithTheirExitCodesAndJson() {
    assertThat(run("put", "cli/a", "one").code()).isZero();
    Run put = input("hello\nworld", "put", "cli/b", "-", "--output", "json");
    assertThat(put.code()).isZero();
    long rev = put.json().path("revision").asLong();
    assertThat(rev).isPositive();

    Run get = run("get", "cli/b");
    assertThat(get.code()).isZero();
    assertThat(get.out()).isEqualTo("hello\nworld\n");
    JsonNode kv = run("--output", "json", "get", "cli/b").json().path("kv");
    assertThat(kv.path("value").asText()).isEqualTo("hello\nworld");
    assertThat(kv.path("mod_revision").asLong()).isEqualTo(rev);

    JsonNode range = run("get", "cli/", "--prefix", "-o", "json").json();
    assertThat(range.path("kvs").findValuesAsText("key")).containsExactly("cli/a", "cli/b");

    Run missing = run("get", "cli/none", "-o", "json");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.json().path("kv").isNull()).isTrue();

    assertThat(run("put", "cli/a", "two").code()).isZero();
    JsonNode old = run("get", "cli/a", "--revision", Long.toString(rev), "-o", "json").json();
    assertThat(old.path("kv").path("value").asText()).isEqualTo("one");

    Run del = run("del", "cli/", "--prefix", "-o", "json");
    assertThat(del.code()).isZero();
    assertThat(del.json().path("deleted").asLong()).isEqualTo(2);
    assertThat(run("del", "cli/a").code()).isEqualTo(1);
  }

  @Test
  void badUsageExitsWithTwoAndSaysWhy() {
    Run noKey = run("get");
    assertThat(noKey.code()).isEqualTo(2);
    assertThat(noKey.err()).contains("Missing required parameter: 'KEY'");
    Run notANumber = run("get", "k", "--revision", "soon");
    assertThat(notANumber.code()).isEqualTo(2);
    assertThat(notANumber.err()).contains("--revision");
    Run unknown = run("frobnicate");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).contains("frobnicate");
    Run nothing = run();
    assertThat(nothing.code()).isEqualTo(2);
    assertThat(nothing.err()).contains("Usage: cairn");
    Run help = run("lock", "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("CAIRN_FENCING_TOKEN");
  }

  @Test
  void noNodeAnsweringIsExitCodeThree() {
    Run r =
        run(
            "--endpoints",
            "http://127.0.0.1:" + TestNode.freePort(),
            "--timeout",
            "2s",
            "get",
            "k");
    assertThat(r.code()).as(r.err()).isEqualTo(3);
  }

  @Test
  void aTransactionFromStandardInputSucceedsOrFails() {
    run("put", "txn/k", "v");
    String txn =
        "{\"compare\":[{\"key\":\"txn/k\",\"target\":\"value\",\"op\":\"=\",\"value\":\"v\"}],"
            + "\"success\":[{\"put\":{\"key\":\"txn/k\",\"value\":\"w\"}}],"
            + "\"failure\":[{\"range\":{\"key\":\"txn/k\"}}]}";
    Run won = input(txn, "txn", "-o", "json");
    assertThat(won.code()).as(won.err()).isZero();
    assertThat(won.json().path("succeeded").asBoolean()).isTrue();
    Run lost = input(txn, "txn", "-o", "json");
    assertThat(lost.code()).isEqualTo(1);
    JsonNode kv = lost.json().path("responses").get(0).path("range").path("kvs").get(0);
    assertThat(kv.path("value").asText()).isEqualTo("w");
    assertThat(input("{not json", "txn").code()).isEqualTo(2);
  }

  @Test
  void leasesAreGrantedListedAndRevoked() {
    Run grant = run("lease", "grant", "60", "-o", "json");
    assertThat(grant.code()).as(grant.err()).isZero();
    long id = grant.json().path("id").asLong();
    assertThat(run("put", "leased/k", "v", "--lease", Long.toString(id)).code()).isZero();
    JsonNode list = run("lease", "list", "-o", "json").json();
    List<Long> ids = new ArrayList<>();
    list.path("leases").forEach(n -> ids.add(n.asLong()));
    assertThat(ids).contains(id);
    assertThat(run("lease", "keepalive", Long.toString(id), "--once").code()).isZero();
    Run revoke = run("lease", "revoke", Long.toString(id), "-o", "json");
    assertThat(revoke.json().path("deleted").asLong()).isEqualTo(1);
    assertThat(run("lease", "revoke", Long.toString(id)).code()).isEqualTo(1);
  }

  @Test
  void namespacesClusterStatusAndCompletion() {
    assertThat(run("namespaces", "create", "cli-team").code()).isZero();
    JsonNode names = run("namespaces", "list", "-o", "json").json();
    assertThat(names.path("namespaces").toString()).contains("\"cli-team\"");
    assertThat(run("-n", "cli-team", "put", "x", "1").code()).isZero();
    assertThat(run("namespaces", "delete", "cli-team").code()).isEqualTo(1); // not empty
    assertThat(run("namespaces", "delete", "cli-team", "--force").code()).isZero();
    JsonNode cluster = run("cluster", "status", "-o", "json").json();
    assertThat(cluster.path("members").size()).isEqualTo(1);
    Run completion = run("generate-completion");
    assertThat(completion.code()).isZero();
    assertThat(completion.out()).contains("complete -F");
  }

  @Test
  void twoLocksNeverOverlapAndTheirFencingTokensIncrease() throws Exception {
    Path log = Files.createTempFile(Path.of("target"), "lock-", ".log");
    String body =
        "echo \"start $CAIRN_FENCING_TOKEN\" >> '"
            + log
            + "'; sleep 1; echo \"end $CAIRN_FENCING_TOKEN\" >> '"
            + log
            + "'; exit 7";
    List<Process> ps = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      ps.add(cairn("lock", "cli-lock", "--", "sh", "-c", body).redirectErrorStream(true).start());
    }
    for (Process p : ps) {
      drain(p.getInputStream());
      assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("COMMAND's exit code").isEqualTo(7);
    }
    List<String> lines = Files.readAllLines(log);
    assertThat(lines).hasSize(4);
    String[] first = lines.get(0).split(" ");
    String[] second = lines.get(2).split(" ");
    assertThat(lines)
        .containsExactly(
            "start " + first[1], "end " + first[1], "start " + second[1], "end " + second[1]);
    assertThat(Long.parseLong(second[1])).isGreaterThan(Long.parseLong(first[1]));
    // a holder stopped by SIGTERM stops its COMMAND and releases the lock
    Path held = Files.createTempFile(Path.of("target"), "held-", ".log");
    Process holder =
        cairn("lock", "cli-lock", "--", "sh", "-c", "echo held >> '" + held + "'; exec sleep 600")
            .redirectErrorStream(true)
            .start();
    drain(holder.getInputStream());
    awaitTrue(Duration.ofSeconds(60), () -> !readLines(held).isEmpty());
    holder.destroy();
    assertThat(holder.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(holder.exitValue()).isEqualTo(143);
    Run next = run("lock", "cli-lock", "--wait", "20s", "--", "sh", "-c", "exit 0");
    assertThat(next.code()).as(next.err()).isZero();
  }

  @Test
  void electPrintsTheLeaderAndASuccessorTakesOverWhenItStops() throws Exception {
    Process a = cairn("elect", "cli-elect", "--value", "a", "-o", "json").start();
    List<JsonNode> seenByA = jsonLines(a);
    Process b = null;
    try {
      awaitTrue(Duration.ofSeconds(60), () -> leaderValues(seenByA).contains("a"));
      b = cairn("elect", "cli-elect", "--value", "b", "-o", "json").start();
      List<JsonNode> seenByB = jsonLines(b);
      awaitTrue(Duration.ofSeconds(60), () -> leaderValues(seenByB).contains("a"));
      a.destroy(); // resigns on SIGTERM
      awaitTrue(Duration.ofSeconds(60), () -> leaderValues(seenByB).contains("b"));
      List<Long> tokens = new ArrayList<>();
      seenByB.stream()
          .filter(n -> !n.path("leader").isNull())
          .forEach(n -> tokens.add(n.path("leader").path("fencing_token").asLong()));
      assertThat(tokens).isSorted();
      assertThat(tokens.get(tokens.size() - 1)).isGreaterThan(tokens.get(0));
    } finally {
      a.destroy();
      if (b != null) {
        b.destroy();
        b.waitFor(30, TimeUnit.SECONDS);
      }
      a.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void servicesAreRegisteredListedAndWatched() throws Exception {
    Run reg =
        run(
            "services",
            "register",
            "cli-web",
            "w1",
            "--address",
            "10.0.0.1",
            "--port",
            "80",
            "--tag",
            "blue",
            "--meta",
            "zone=a");
    assertThat(reg.code()).as(reg.err()).isZero();
    JsonNode listing = run("services", "list", "cli-web", "-o", "json").json();
    JsonNode w1 = listing.path("instances").get(0);
    assertThat(w1.path("id").asText()).isEqualTo("w1");
    assertThat(w1.path("address").asText() + ":" + w1.path("port").asInt())
        .isEqualTo("10.0.0.1:80");
    assertThat(w1.path("meta").path("zone").asText()).isEqualTo("a");
    Process watch = cairn("services", "watch", "cli-web", "-o", "json").start();
    List<JsonNode> seen = jsonLines(watch);
    try {
      awaitTrue(Duration.ofSeconds(60), () -> !seen.isEmpty());
      assertThat(run("services", "deregister", "cli-web", "w1").code()).isZero();
      awaitTrue(
          Duration.ofSeconds(60), () -> seen.get(seen.size() - 1).path("instances").isEmpty());
    } finally {
      watch.destroy();
      watch.waitFor(30, TimeUnit.SECONDS);
    }
    assertThat(seen.get(0).path("instances").size()).isEqualTo(1);
    assertThat(run("services", "list", "cli-web").code()).isEqualTo(1);
  }

  @Test
  void compactForgetsHistoryAndReadsBelowItFailWithExitOne() {
    // A namespace of its own: compaction is per namespace, and the other tests read old revisions.
    assertThat(run("namespaces", "create", "cli-compact").code()).isZero();
    long first =
        run("-n", "cli-compact", "put", "k", "v1", "-o", "json").json().path("revision").asLong();
    long second =
        run("-n", "cli-compact", "put", "k", "v2", "-o", "json").json().path("revision").asLong();
    assertThat(run("-n", "cli-compact", "get", "k", "--revision", String.valueOf(first)).out())
        .isEqualTo("v1\n");
    Run compact = run("-n", "cli-compact", "compact", String.valueOf(second), "-o", "json");
    assertThat(compact.code()).as(compact.err()).isZero();
    assertThat(compact.json().path("compact_revision").asLong()).isEqualTo(second);
    Run old = run("-n", "cli-compact", "get", "k", "--revision", String.valueOf(first));
    assertThat(old.code()).as(old.err()).isEqualTo(1);
    assertThat(old.err()).contains("compact");
    assertThat(run("-n", "cli-compact", "get", "k", "--revision", String.valueOf(second)).out())
        .isEqualTo("v2\n");
  }

  @Test
  void servicesHaveTtlAndHttpChecksReportedFromTheCommandLine() throws Exception {
    Run reg =
        run(
            "services",
            "register",
            "cli-checked",
            "c1",
            "--address",
            "10.0.0.2",
            "--port",
            "81",
            "--check-ttl",
            "60s",
            "--check-http",
            node.url() + "/health",
            "--check-interval",
            "500ms");
    assertThat(reg.code()).as(reg.err()).isZero();
    // The TTL check starts critical and no report has come: the instance is not passing.
    JsonNode first = run("services", "list", "cli-checked", "-o", "json").json();
    assertThat(first.path("instances").get(0).path("status").asText()).isEqualTo("critical");
    assertThat(run("services", "list", "cli-checked", "--passing").code()).isEqualTo(1);

    Run bad = run("services", "report", "cli-checked", "c1", "great");
    assertThat(bad.code()).as(bad.err()).isEqualTo(4);
    Run missing = run("services", "report", "cli-checked", "nobody", "passing");
    assertThat(missing.code()).as(missing.err()).isEqualTo(1);
    Run report = run("services", "report", "cli-checked", "c1", "passing", "--note", "fine");
    assertThat(report.code()).as(report.err()).isZero();
    // With the TTL check passing, the instance passes once its HTTP check has been probed.
    awaitTrue(
        Duration.ofSeconds(60),
        () ->
            "passing"
                .equals(
                    run("services", "list", "cli-checked", "-o", "json")
                        .json()
                        .path("instances")
                        .get(0)
                        .path("status")
                        .asText()));
    assertThat(run("services", "list", "cli-checked", "--passing").code()).isZero();
    assertThat(run("services", "deregister", "cli-checked", "c1").code()).isZero();
  }

  static List<String> leaderValues(List<JsonNode> observations) {
    List<String> values = new ArrayList<>();
    for (JsonNode o : observations) {
      if (!o.path("leader").isNull()) {
        values.add(o.path("leader").path("value").asText());
      }
    }
    return values;
  }

  static List<String> readLines(Path p) {
    try {
      return Files.readAllLines(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void watchResumesAcrossARestartOfTheNodeWithNoGapAndNoDuplicate() throws Exception {
    long from = run("put", "watched/1", "v1", "-o", "json").json().path("revision").asLong();
    run("put", "watched/2", "v2");
    Process w =
        cairn("watch", "watched/", "--prefix", "--from", Long.toString(from), "-o", "json").start();
    List<JsonNode> events = jsonLines(w);
    try {
      awaitTrue(Duration.ofSeconds(60), () -> events.size() >= 2);
      node.restart();
      for (int i = 3; i <= 5; i++) {
        assertThat(run("put", "watched/" + i, "v" + i).code()).isZero();
      }
      run("del", "watched/1");
      awaitTrue(Duration.ofSeconds(90), () -> events.size() >= 6);
    } finally {
      w.destroy();
      w.waitFor(30, TimeUnit.SECONDS);
    }
    List<String> seen = new ArrayList<>();
    long last = 0;
    for (JsonNode e : events) {
      long rev = e.path("revision").asLong();
      assertThat(rev).as("revisions increase: %s", events).isGreaterThan(last);
      last = rev;
      seen.add(e.path("type").asText() + " " + e.path("kv").path("key").asText());
    }
    assertThat(seen)
        .containsExactly(
            "PUT watched/1",
            "PUT watched/2",
            "PUT watched/3",
            "PUT watched/4",
            "PUT watched/5",
            "DELETE watched/1");
    assertThat(w.exitValue()).isNotZero(); // ended by SIGTERM: 143
  }

  /** The JSON lines {@code p} prints, as they come (read by a thread of their own). */
  static List<JsonNode> jsonLines(Process p) {
    List<JsonNode> lines = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  lines.add(JSON.readTree(line));
                }
              } catch (IOException e) {
                // the process ended
              }
            });
    reader.setDaemon(true);
    reader.start();
    drain(p.getErrorStream());
    return lines;
  }

  static void awaitTrue(Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out");
      }
      Thread.sleep(50);
    }
  }
}
