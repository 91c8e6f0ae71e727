package dev.cairn.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The whole program against the stub server, through each HTTP client. */
class LoadGeneratorHttpTest {

  private static StubServer stub;

  @BeforeAll
  static void start() throws Exception {
    stub = new StubServer(0, 1);
  }

  @AfterAll
  static void stop() {
    stub.close();
  }

  /** Runs the generator; returns its exit code and the JSON line (or null). */
  record Run(int exit, JsonNode json, String log) {}

  static Run run(String... args) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> all =
        new ArrayList<>(
            List.of(
                "--warmup",
                "200ms",
                "--duration",
                "1500ms",
                "--keys",
                "200",
                "--value-size",
                "64"));
    all.addAll(List.of(args));
    LoadGenerator generator =
        new LoadGenerator(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    int exit = LoadGenerator.commandLine(generator).execute(all.toArray(String[]::new));
    String line = out.toString(StandardCharsets.UTF_8).trim();
    return new Run(
        exit,
        line.isEmpty() ? null : new ObjectMapper().readTree(line),
        err.toString(StandardCharsets.UTF_8));
  }

  /** Two Cairn clients doing {@code op} against {@code url}, no preload, plus {@code extra}. */
  static Run runTwo(String op, String url, String... extra) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--target",
                "cairn",
                "--op",
                op,
                "--clients",
                "2",
                "--preload",
                "never",
                "--url",
                url));
    args.addAll(List.of(extra));
    return run(args.toArray(String[]::new));
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"cairn, put", "cairn, get", "etcd, put", "etcd, get"})
  void drivesTheHttpContracts(String target, String op) throws Exception {
    Run r = run("--target", target, "--op", op, "--clients", "4", "--url", stub.url());
    assertThat(r.exit()).as(r.log()).isZero();
    JsonNode json = r.json();
    assertThat(json.get("target").asText()).isEqualTo(target);
    assertThat(json.get("op").asText()).isEqualTo(op);
    assertThat(json.get("clients").asInt()).isEqualTo(4);
    assertThat(json.get("errors").asLong()).as(r.log()).isZero();
    assertThat(json.get("ops").asLong()).isPositive();
    assertThat(json.get("p50_ms").asDouble()).isPositive();
    assertThat(json.get("p999_ms").asDouble())
        .isGreaterThanOrEqualTo(json.get("p50_ms").asDouble());
    assertThat(stub.size()).isGreaterThanOrEqualTo(200);
  }

  @Test
  void clientsAreSpreadOverSeveralServers() throws Exception {
    try (StubServer a = new StubServer(0, 1);
        StubServer b = new StubServer(0, 1)) {
      Run r =
          run(
              "--target",
              "cairn",
              "--op",
              "put",
              "--clients",
              "4",
              "--preload",
              "never",
              "--urls",
              a.url() + "," + b.url());
      assertThat(r.exit()).as(r.log()).isZero();
      assertThat(r.json().get("driver").asText()).contains("spread over 2 servers");
      assertThat(a.requests()).isPositive();
      assertThat(b.requests()).isPositive();
    }
  }

  @Test
  void keysAreSpreadOverNamespacesAndReadsCanBeSerializable() throws Exception {
    try (StubServer s = new StubServer(0, 1)) {
      Run r =
          run(
              "--target",
              "cairn",
              "--op",
              "get",
              "--clients",
              "2",
              "--namespaces",
              "3",
              "--consistency",
              "serializable",
              "--url",
              s.url());
      assertThat(r.exit()).as(r.log()).isZero();
      assertThat(r.json().get("errors").asLong()).as(r.log()).isZero();
      assertThat(s.namespaces()).containsExactlyInAnyOrder("bench-0", "bench-1", "bench-2");
      assertThat(s.keys()).hasSize(200).allMatch(k -> k.startsWith("bench-"));
      assertThat(s.keys().stream().filter(k -> k.startsWith("bench-1/")).count()).isEqualTo(67);
      // warmup reads (and the preloader's check) ask the same way as the measured ones
      assertThat(s.serializableReads()).isGreaterThanOrEqualTo(r.json().get("ops").asLong());
    }
  }

  @Test
  void theSharedWindowDefaultsToFifteenSeconds() {
    LoadGenerator generator = new LoadGenerator();
    LoadGenerator.commandLine(generator).parseArgs();
    assertThat(generator.window.duration()).isEqualTo(Duration.ofSeconds(15));
    assertThat(generator.window.warmup()).isEqualTo(Duration.ofSeconds(5));
    assertThat(generator.timeout).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void serverErrorsAreCountedNotHidden() throws Exception {
    try (StubServer failing = new StubServer(0, 1).failEvery(3)) {
      Run r = runTwo("put", failing.url());
      assertThat(r.exit()).isZero();
      long ops = r.json().get("ops").asLong();
      long errors = r.json().get("errors").asLong();
      assertThat(errors).isPositive();
      assertThat((double) errors / (ops + errors)).isBetween(0.25, 0.42);
      assertThat(r.log()).contains("500");
    }
  }

  @Test
  void aMissingKeyIsAnErrorForReads() throws Exception {
    try (StubServer empty = new StubServer(0, 1)) {
      Run r = runTwo("get", empty.url());
      assertThat(r.exit()).isEqualTo(3);
      assertThat(r.json().get("ops").asLong()).isZero();
      assertThat(r.json().get("errors").asLong()).isPositive();
      assertThat(r.log()).contains("404");
    }
  }

  @Test
  void slowAnswersBecomeTimeouts() throws Exception {
    try (StubServer slow = new StubServer(0, 1).delay(400)) {
      Run r = runTwo("put", slow.url(), "--timeout", "100ms");
      assertThat(r.json().get("timeouts").asLong()).isPositive();
      assertThat(r.json().get("errors").asLong())
          .isGreaterThanOrEqualTo(r.json().get("timeouts").asLong());
    }
  }

  @Test
  void aServerThatClosesEveryConnectionIsStillServed() throws Exception {
    try (StubServer closing = new StubServer(0, 1).closeAfterResponse(true)) {
      Run r = runTwo("put", closing.url());
      assertThat(r.json().get("ops").asLong()).isPositive();
      assertThat(r.json().get("errors").asLong()).as(r.log()).isZero();
    }
  }

  @Test
  void aServerThatIsNotThereYieldsConnectionErrors() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r = runTwo("put", "http://127.0.0.1:" + port);
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.json().get("errors").asLong()).isPositive();
    assertThat(r.json().get("ops").asLong()).isZero();
  }
}
