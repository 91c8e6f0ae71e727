package dev.cairn.bench.watch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.bench.http.JsonScan;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** How {@link EtcdWatch} writes watch requests and reads the gateway's watch stream. */
class EtcdWatchTest {
  private static final long R0 = 100;

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static final String HEADER =
      "\"header\":{\"cluster_id\":\"14841639068965178418\",\"member_id\":\"10276657743932975437\","
          + "\"revision\":\"%d\",\"raft_term\":\"2\"}";

  /** An event as etcd 3.4's gateway writes it: int64 as strings, PUT (0) left out. */
  private static String event(long seq, long sentAt, long revision) {
    return "{\"kv\":{\"key\":\""
        + b64(String.format("bench/watch/x/%08d", seq))
        + "\",\"create_revision\":\""
        + revision
        + "\",\"mod_revision\":\""
        + revision
        + "\",\"version\":\"1\",\"value\":\""
        + b64(seq + ":" + sentAt + ":" + "x".repeat(40))
        + "\"}}";
  }

  private static String events(long revision, String... events) {
    return "{\"result\":{"
        + String.format(HEADER, revision)
        + ",\"events\":["
        + String.join(",", events)
        + "]}}";
  }

  @Test
  void watchesThePrefixAsAKeyRangeFromTheStartRevision() {
    String req = EtcdWatch.createRequest("bench/watch/ab/", 101);
    assertThat(req)
        .isEqualTo(
            "{\"create_request\":{\"key\":\""
                + b64("bench/watch/ab/")
                + "\",\"range_end\":\""
                + b64("bench/watch/ab0")
                + "\",\"start_revision\":\"101\"}}");
    assertThat(EtcdWatch.prefixEnd(new byte[] {'a', (byte) 0xff})).containsExactly('b');
    assertThat(EtcdWatch.prefixEnd(new byte[] {(byte) 0xff})).containsExactly(0);
  }

  @Test
  void readsNumbersWrittenAsStringsOrNumbers() {
    String s = "{\"header\":{\"revision\":\"123\"},\"x\":{\"revision\":45}}";
    assertThat(JsonScan.number(s, "\"revision\":", 0, -1)).isEqualTo(123);
    assertThat(JsonScan.number(s, "\"revision\":", s.indexOf("\"x\""), -1)).isEqualTo(45);
    assertThat(JsonScan.number(s, "\"revision\":", 0, 5)).isEqualTo(-1);
    assertThat(JsonScan.number(s, "\"nothing\":", 0, -1)).isEqualTo(-1);
  }

  @Test
  void decodesTheSequenceAndSendTimeFromTheStartOfTheValue() {
    String v = b64("42:123456789012345:" + "x".repeat(200));
    assertThat(EtcdReceiver.seqAndSentAt(v, 0, v.length())).containsExactly(42, 123456789012345L);
    String shortV = b64("7:99:");
    assertThat(EtcdReceiver.seqAndSentAt(shortV, 0, shortV.length())).containsExactly(7, 99);
    String bad = b64("start");
    assertThat(EtcdReceiver.seqAndSentAt(bad, 0, bad.length())).isNull();
    assertThat(EtcdReceiver.seqAndSentAt("not base64!", 0, 11)).isNull();
  }

  @Test
  void countsCreationEventsAndCancellationsOfEachStream() {
    EtcdReceiver g = new EtcdReceiver(0, 2, R0, 1);
    long sent = System.nanoTime();
    g.onLine(0, "{\"result\":{" + String.format(HEADER, 100) + ",\"created\":true}}", sent);
    g.onLine(1, "{\"result\":{" + String.format(HEADER, 100) + ",\"created\":true}}", sent);
    assertThat(g.created.get()).isEqualTo(2);

    // Stream 0 gets puts 0 and 1 in one message, stream 1 gets them one by one.
    String both = events(102, event(0, sent, 101), event(1, sent, 102));
    g.onLine(0, both, sent + 5_000_000);
    g.onLine(1, events(101, event(0, sent, 101)), sent + 5_000_000);
    g.onLine(1, events(102, event(1, sent, 102)), sent + 7_000_000);
    g.onLine(1, "", sent);

    assertThat(g.received.get()).isEqualTo(4);
    assertThat(g.malformed).isZero();
    assertThat(g.got[0].stream()).containsExactly(0, 1);
    assertThat(g.got[1].stream()).containsExactly(0, 1);
    assertThat(g.lastRevision[0]).isEqualTo(102);
    assertThat(g.latency.getTotalCount()).as("put 0 is warmup").isEqualTo(2);
    assertThat(g.latency.getMaxValue()).isBetween(6_900L, 7_100L);

    // Revision 102 again on stream 0: a duplicate, out of order.
    g.onLine(0, events(102, event(1, sent, 102)), sent);
    assertThat(g.duplicates).isEqualTo(1);
    assertThat(g.outOfOrder).isEqualTo(1);

    g.onLine(
        1,
        "{\"result\":{"
            + String.format(HEADER, 300)
            + ",\"canceled\":true,\"compact_revision\":\"150\"}}",
        sent);
    assertThat(g.cancelled.get()).isEqualTo(1);
    assertThat(g.cancelReasons).containsEntry("compacted", 1);
  }

  @Test
  void badLinesAreErrorsOrMalformed() {
    EtcdReceiver g = new EtcdReceiver(0, 1, R0, 0);
    g.onLine(0, "{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"unavailable\"}}", 0);
    assertThat(g.errors.get()).isEqualTo(1);
    assertThat(g.errorSamples).singleElement().asString().contains("unavailable");

    String noValue =
        "{\"result\":{"
            + String.format(HEADER, 101)
            + ",\"events\":[{\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"101\"}}]}}";
    g.onLine(0, noValue, 0);
    String foreignValue =
        "{\"result\":{"
            + String.format(HEADER, 101)
            + ",\"events\":[{\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"101\",\"value\":\""
            + b64("start")
            + "\"}}]}}";
    g.onLine(0, foreignValue, 0);
    // Before the watch's start revision: cannot be one of the run's puts.
    g.onLine(0, events(100, event(0, 0, 100)), 0);
    assertThat(g.malformed).isEqualTo(3);
    assertThat(g.received.get()).isZero();
  }
}
