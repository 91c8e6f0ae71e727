package dev.cairn.bench.journal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.bench.cli.Cli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The journal benchmark end to end on a real directory: its JSON lines, in order, with keys. */
@Timeout(120)
class JournalBenchmarkTest {

  @Test
  void printsOneLinePerRunWithItsFigures(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      exit =
          Cli.commandLine(new JournalBenchmark())
              .execute(
                  "--dir", dir.toString(),
                  "--batch-sizes", "4",
                  "--payload-bytes", "64",
                  "--seconds", "0.3",
                  "--warmup-seconds", "0",
                  "--fsync", "false",
                  "--writers", "2",
                  "--persistence-ids", "2",
                  "--raw-write-bytes", "4096");
    } finally {
      System.setOut(original);
    }
    assertThat(exit).isZero();
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : captured.toString(StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("{")) {
        lines.add(json.readTree(line));
      }
    }
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0).path("benchmark").asText()).isEqualTo("raw-force");
    assertThat(lines.get(0).path("when").asText()).isEqualTo("before");
    assertThat(lines.get(3).path("when").asText()).isEqualTo("after");
    for (JsonNode raw : List.of(lines.get(0), lines.get(3))) {
      assertThat(raw.fieldNames())
          .toIterable()
          .contains("writeBytes", "seconds", "forces", "forcesPerSec", "mbPerSec", "latencyUs");
      assertThat(raw.path("forces").asLong()).isPositive();
    }
    JsonNode batched = lines.get(1);
    JsonNode concurrent = lines.get(2);
    assertThat(batched.path("batchSize").asInt()).isEqualTo(4);
    assertThat(batched.path("batches").asLong()).isPositive();
    assertThat(concurrent.path("mode").asText()).isEqualTo("concurrent");
    assertThat(concurrent.path("writers").asInt()).isEqualTo(2);
    for (JsonNode run : List.of(batched, concurrent)) {
      assertThat(run.path("benchmark").asText()).isEqualTo("journal");
      assertThat(run.path("payloadBytes").asInt()).isEqualTo(64);
      assertThat(run.path("fsync").asBoolean()).isFalse();
      assertThat(run.path("eventsPerSec").asDouble()).isPositive();
      assertThat(run.path("latencyUs").fieldNames())
          .toIterable()
          .containsExactly("p50", "p99", "p999", "max");
      assertThat(run.fieldNames())
          .toIterable()
          .contains("seconds", "forcesPerSec", "eventsPerSec", "eventsPerGroup", "mbPerSec");
    }
  }
}
