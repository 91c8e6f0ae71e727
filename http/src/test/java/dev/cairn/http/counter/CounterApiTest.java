package dev.cairn.http.counter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.SharedServer;
import dev.cairn.http.TestServer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code /v1/counters} over real HTTP against a real server. */
@ExtendWith(SharedServer.class)
@Timeout(120)
class CounterApiTest {
  private static final String NS = "counter-test";
  private static final String P = "/v1/ns/" + NS;
  private static final ExecutorService pool = Executors.newCachedThreadPool();
  private static TestServer s;

  @BeforeAll
  static void setUp(TestServer server) {
    s = server;
    s.createNamespace(NS);
  }

  @AfterAll
  static void stop() {
    pool.shutdownNow();
  }

  @Test
  void addAndRead() {
    s.get(P + "/counters/hits").problem(404, "counter_not_found");
    JsonNode v = s.post(P + "/counters/hits", "{\"delta\": 5, \"initial\": 10}").ok();
    assertThat(v.path("value").asLong()).isEqualTo(15);
    assertThat(v.path("name").asText()).isEqualTo("hits");
    JsonNode w = s.post(P + "/counters/hits", "{\"delta\": -20, \"initial\": 10}").ok();
    assertThat(w.path("value").asLong()).isEqualTo(-5);
    assertThat(w.path("revision").asLong()).isGreaterThan(v.path("revision").asLong());
    JsonNode read = s.get(P + "/counters/hits").ok();
    assertThat(read.path("value").asLong()).isEqualTo(-5);
    assertThat(read.path("revision").asLong()).isGreaterThanOrEqualTo(w.path("revision").asLong());
    assertThat(s.post("/v1/counters/hits", "{\"delta\": 1}").ok().path("value").asLong())
        .isEqualTo(1);
  }

  @Test
  void badRequestsAreRefusedWithTheirCodes() {
    s.post(P + "/counters/bad", "{}").problem(400, "malformed_request");
    s.post(P + "/counters/bad", "{\"delta\": \"x\"}").problem(400, "malformed_request");
    s.post(P + "/counters/bad", "{\"delta\": 1, \"initial\": " + Long.MAX_VALUE + "}")
        .problem(400, "invalid_argument");
    s.post(P + "/counters/bad", "{\"delta\": " + Long.MAX_VALUE + "}").ok();
    s.post(P + "/counters/bad", "{\"delta\": 1}").problem(400, "invalid_argument");
    assertThat(s.get(P + "/counters/bad").ok().path("value").asLong()).isEqualTo(Long.MAX_VALUE);
    s.delete(P + "/counters/bad").problem(405, "method_not_allowed");
    String tooLong = "n".repeat(5000);
    s.post(P + "/counters/" + tooLong, "{\"delta\": 1}").problem(413, "key_too_large");
    s.get(P + "/counters/" + tooLong).problem(413, "key_too_large");
  }

  @Test
  void concurrentAddersLoseNoAddition() throws Exception {
    int adders = 8;
    int adds = 25;
    List<Long> seen = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int a = 0; a < adders; a++) {
      all.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < adds; i++) {
                  seen.add(
                      s.post(P + "/counters/busy", "{\"delta\": 1}").ok().path("value").asLong());
                }
              },
              pool));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(100, TimeUnit.SECONDS);
    assertThat(s.get(P + "/counters/busy").ok().path("value").asLong()).isEqualTo(adders * adds);
    assertThat(seen)
        .containsExactlyInAnyOrderElementsOf(
            LongStream.rangeClosed(1, adders * adds).boxed().toList());
  }
}
