package dev.cairn.bench.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.bench.cli.Cli;
import dev.cairn.persistence.cassandra.CassandraExtension;
import dev.cairn.persistence.cassandra.CassandraExtension.CassandraEndpoint;
import dev.cairn.persistence.cassandra.CassandraJournalSettings;
import dev.cairn.persistence.cassandra.CassandraTestConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Cassandra journal benchmark on the real test Cassandra: its figures agree with the rows the
 * journal left in Cassandra, read here with a driver session of the test's own.
 */
@ExtendWith(CassandraExtension.class)
@Timeout(300)
class CassandraJournalBenchmarkTest {

  @Test
  void reportsWhatTheJournalWrote(CassandraEndpoint cassandra) throws Exception {
    String keyspace = CassandraTestConfig.freshKeyspace("bench");
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      exit =
          Cli.commandLine(new CassandraJournalBenchmark())
              .execute(
                  "--cassandra", cassandra.contactPoint(),
                  "--keyspace", keyspace,
                  "--batch-sizes", "1,8",
                  "--ids", "2",
                  "--payload-bytes", "64",
                  "--seconds", "1",
                  "--warmup-seconds", "0.5",
                  "--jit-warmup-seconds", "0.5");
    } finally {
      System.setOut(original);
    }
    assertThat(exit).isZero();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : captured.toString(StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("{")) {
        lines.add(new ObjectMapper().readTree(line));
      }
    }
    assertThat(lines).hasSize(3);
    assertThat(lines)
        .extracting(l -> l.path("persistence_ids").asInt() + "x" + l.path("batch_size").asInt())
        .containsExactly("1x1", "1x8", "2x1");
    long writtenSum = 0;
    for (JsonNode line : lines) {
      long writes = line.path("writes").asLong();
      long events = line.path("events").asLong();
      long written = line.path("written_events").asLong();
      assertThat(writes).isPositive();
      assertThat(events).isEqualTo(writes * line.path("batch_size").asLong());
      assertThat(written).isGreaterThanOrEqualTo(events);
      assertThat(line.path("replayed_events").asLong()).isEqualTo(written);
      assertThat(line.path("consistent").asBoolean()).isTrue();
      assertThat(line.path("p50_ms").asDouble()).isPositive();
      // "seconds" is printed to 0.01 s, the rate from the unrounded time: within 1 %.
      assertThat(line.path("events_per_sec").asDouble())
          .isCloseTo(events / line.path("seconds").asDouble(), withinPercentage(1));
      writtenSum += written;
    }

    // the rows in Cassandra, per persistence id: as many as the highest sequence number (no gap)
    Map<String, Long> rows = new HashMap<>();
    Map<String, Long> highest = new HashMap<>();
    CassandraJournalSettings settings =
        CassandraJournalSettings.fromConfig(
            CassandraTestConfig.journal(keyspace).getConfig(CassandraJournalBenchmark.PLUGIN));
    try (CqlSession session =
        CqlSession.builder()
            .addContactPoints(settings.contactPoints())
            .withLocalDatacenter(settings.localDatacenter())
            .withConfigLoader(
                DriverConfigLoader.programmaticBuilder()
                    .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(30))
                    .build())
            .build()) {
      for (Row row :
          session.execute("SELECT persistence_id, sequence_nr FROM " + keyspace + ".messages")) {
        rows.merge(row.getString(0), 1L, Long::sum);
        highest.merge(row.getString(0), row.getLong(1), Math::max);
      }
    }
    // the unmeasured warm-up writes have ids of their own, in no line
    assertThat(rows.keySet()).filteredOn(id -> id.startsWith("bench-warm-")).hasSize(8);
    rows.keySet().removeIf(id -> id.startsWith("bench-warm-"));
    highest.keySet().removeIf(id -> id.startsWith("bench-warm-"));
    assertThat(rows.keySet())
        .containsExactlyInAnyOrder("bench-1x1-0", "bench-1x8-0", "bench-2x1-0", "bench-2x1-1");
    assertThat(rows).isEqualTo(highest);
    assertThat(rows.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(writtenSum);
  }
}
