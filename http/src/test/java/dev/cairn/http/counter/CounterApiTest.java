package dev.cairn.http.counter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestNamespace;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code /v1/counters} over real HTTP against a real server. */
@Timeout(120)
class CounterApiTest {
  @RegisterExtension static final TestNamespace ns = TestNamespace.of("counter-test");

  @Test
  void addAndRead() {
    ns.get("/counters/hits").problem(404, "counter_not_found");
    JsonNode v = ns.post("/counters/hits", "{\"delta\": 5, \"initial\": 10}").ok();
    assertThat(v.path("value").asLong()).isEqualTo(15);
    assertThat(v.path("name").asText()).isEqualTo("hits");
    JsonNode w = ns.post("/counters/hits", "{\"delta\": -20, \"initial\": 10}").ok();
    assertThat(w.path("value").asLong()).isEqualTo(-5);
    assertThat(w.path("revision").asLong()).isGreaterThan(v.path("revision").asLong());
    JsonNode read = ns.get("/counters/hits").ok();
    assertThat(read.path("value").asLong()).isEqualTo(-5);
    assertThat(read.path("revision").asLong()).isGreaterThanOrEqualTo(w.path("revision").asLong());
    assertThat(ns.server().post("/v1/counters/hits", "{\"delta\": 1}").ok().path("value").asLong())
        .isEqualTo(1);
  }

  @Test
  void badRequestsAreRefusedWithTheirCodes() {
    ns.post("/counters/bad", "{}").problem(400, "malformed_request");
    ns.post("/counters/bad", "{\"delta\": \"x\"}").problem(400, "malformed_request");
    ns.post("/counters/bad", "{\"delta\": 1, \"initial\": " + Long.MAX_VALUE + "}")
        .problem(400, "invalid_argument");
    ns.post("/counters/bad", "{\"delta\": " + Long.MAX_VALUE + "}").ok();
    ns.post("/counters/bad", "{\"delta\": 1}").problem(400, "invalid_argument");
    assertThat(ns.get("/counters/bad").ok().path("value").asLong()).isEqualTo(Long.MAX_VALUE);
    ns.delete("/counters/bad").problem(405, "method_not_allowed");
    String tooLong = "n".repeat(5000);
    ns.post("/counters/" + tooLong, "{\"delta\": 1}").problem(413, "key_too_large");
    ns.get("/counters/" + tooLong).problem(413, "key_too_large");
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
                  seen.add(ns.post("/counters/busy", "{\"delta\": 1}").ok().path("value").asLong());
                }
              },
              ns.pool()));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(100, TimeUnit.SECONDS);
    assertThat(ns.get("/counters/busy").ok().path("value").asLong()).isEqualTo(adders * adds);
    assertThat(seen)
        .containsExactlyInAnyOrderElementsOf(
            LongStream.rangeClosed(1, adders * adds).boxed().toList());
  }
}
