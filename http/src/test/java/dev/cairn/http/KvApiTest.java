package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer.Resp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The happy paths of {@code /v1/kv}, {@code /v1/compact} and their namespaced variants. */
@ExtendWith(SharedServer.class)
class KvApiTest {
  private static TestServer s;

  @BeforeAll
  static void server(TestServer server) {
    s = server;
  }

  private static List<String> keys(JsonNode range) {
    List<String> out = new ArrayList<>();
    range.path("kvs").forEach(kv -> out.add(kv.path("key").asText()));
    return out;
  }

  @Test
  void putReturnsRevisionEtagAndMetadataAndGetReturnsTheValue() {
    Resp put = s.put("/v1/kv/put/a", "hello");
    JsonNode p = put.ok();
    long rev = p.path("revision").asLong();
    assertThat(rev).isPositive();
    assertThat(put.header("X-Cairn-Revision")).contains(Long.toString(rev));
    assertThat(put.header("ETag")).contains("\"" + rev + "\"");
    JsonNode kv = p.path("kv");
    assertThat(kv.path("key").asText()).isEqualTo("put/a");
    assertThat(kv.path("create_revision").asLong()).isEqualTo(rev);
    assertThat(kv.path("mod_revision").asLong()).isEqualTo(rev);
    assertThat(kv.path("version").asLong()).isEqualTo(1);
    assertThat(kv.path("lease").asLong()).isZero();
    assertThat(kv.has("value")).as("a put answer does not echo the value").isFalse();

    Resp get = s.get("/v1/kv/put/a");
    JsonNode g = get.ok();
    assertThat(g.path("revision").asLong()).isGreaterThanOrEqualTo(rev);
    assertThat(get.header("ETag")).contains("\"" + rev + "\"");
    assertThat(get.header("X-Cairn-Revision")).contains(g.path("revision").asText());
    JsonNode gkv = g.path("kv");
    assertThat(gkv.path("key").asText()).isEqualTo("put/a");
    assertThat(gkv.path("value").asText()).isEqualTo("hello");
    assertThat(gkv.path("encoding").asText()).isEqualTo("utf-8");
    assertThat(gkv.path("create_revision").asLong()).isEqualTo(rev);
    assertThat(gkv.path("mod_revision").asLong()).isEqualTo(rev);
    assertThat(gkv.path("version").asLong()).isEqualTo(1);
    assertThat(gkv.path("lease").asLong()).isZero();

    JsonNode p2 = s.put("/v1/kv/put/a?prev_kv=true", "again").ok();
    long rev2 = p2.path("revision").asLong();
    assertThat(rev2).isGreaterThan(rev);
    assertThat(p2.path("kv").path("create_revision").asLong()).isEqualTo(rev);
    assertThat(p2.path("kv").path("mod_revision").asLong()).isEqualTo(rev2);
    assertThat(p2.path("kv").path("version").asLong()).isEqualTo(2);
    assertThat(p2.path("prev_kv").path("value").asText()).isEqualTo("hello");
    assertThat(s.get("/v1/kv/put/a").ok().path("kv").path("value").asText()).isEqualTo("again");
  }

  @Test
  void headAnswersLikeGetWithoutABody() {
    long rev = s.putKv(null, "head/a", "x").json().path("revision").asLong();
    Resp head = s.send("HEAD", "/v1/kv/head/a", (byte[]) null);
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(head.header("ETag")).contains("\"" + rev + "\"");
  }

  @Test
  void percentEncodedKeysRoundTrip() {
    // "dir/a b%c+é": space, percent, plus and a non-ASCII letter.
    String raw = "/v1/kv/enc/a%20b%25c+%C3%A9";
    s.put(raw, "v").ok();
    JsonNode kv = s.get(raw).ok().path("kv");
    assertThat(kv.path("key").asText()).isEqualTo("enc/a b%c+\u00e9");
    assertThat(kv.path("value").asText()).isEqualTo("v");
    assertThat(keys(s.get("/v1/kv/enc/?prefix=true").ok())).containsExactly("enc/a b%c+\u00e9");
  }

  @Test
  void dotSegmentsInKeysAreKeptNotResolved() {
    s.putKv(null, "dots/x", "plain");
    JsonNode p = s.put("/v1/kv/dots/sub/%2E%2E/x", "dotted").ok();
    assertThat(p.path("kv").path("key").asText()).isEqualTo("dots/sub/../x");
    s.put("/v1/kv/dots/%2E/y", "dot").ok();
    assertThat(s.get("/v1/kv/dots/x").ok().path("kv").path("value").asText()).isEqualTo("plain");
    assertThat(s.get("/v1/kv/dots/sub/%2E%2E/x").ok().path("kv").path("value").asText())
        .isEqualTo("dotted");
    assertThat(keys(s.get("/v1/kv/dots/?prefix=true").ok()))
        .containsExactly("dots/./y", "dots/sub/../x", "dots/x");
  }

  @Test
  void nonUtf8ValuesAreBase64AndRawBytesAreServedAsOctetStream() {
    byte[] bin = {(byte) 0xff, 0, (byte) 0xfe, 'a', (byte) 0x80};
    long rev = s.send("PUT", "/v1/kv/bin/a", bin).ok().path("revision").asLong();
    JsonNode kv = s.get("/v1/kv/bin/a").ok().path("kv");
    assertThat(kv.path("encoding").asText()).isEqualTo("base64");
    assertThat(Base64.getDecoder().decode(kv.path("value").asText())).isEqualTo(bin);

    Resp raw = s.get("/v1/kv/bin/a", "Accept", "application/octet-stream");
    assertThat(raw.status()).isEqualTo(200);
    assertThat(raw.contentType()).isEqualTo("application/octet-stream");
    assertThat(raw.body()).isEqualTo(bin);
    assertThat(raw.header("ETag")).contains("\"" + rev + "\"");
    assertThat(raw.header("X-Cairn-Revision")).isPresent();

    // Text values come back as the same bytes too.
    s.putKv(null, "bin/t", "caf\u00e9");
    assertThat(s.get("/v1/kv/bin/t", "Accept", "application/octet-stream").body())
        .isEqualTo("caf\u00e9".getBytes(StandardCharsets.UTF_8));
    // Raw bytes exist for one key only: a range is refused, and so is a missing key.
    s.get("/v1/kv/bin/?prefix=true", "Accept", "application/octet-stream")
        .problem(406, "not_acceptable");
    s.get("/v1/kv/bin/missing", "Accept", "application/octet-stream").problem(404, "key_not_found");
  }

  @Test
  void rangeReadsWithPrefixRangeEndLimitKeysOnlyCountOnlyAndRevision() {
    long r1 = s.putKv(null, "rng/a", "1").json().path("revision").asLong();
    s.putKv(null, "rng/b", "2");
    s.putKv(null, "rng/c", "3");
    s.putKv(null, "rngx", "outside");
    s.putKv(null, "rng/a", "1b");

    JsonNode all = s.get("/v1/kv/rng/?prefix=true").ok();
    assertThat(keys(all)).containsExactly("rng/a", "rng/b", "rng/c");
    assertThat(all.path("count").asLong()).isEqualTo(3);
    assertThat(all.path("more").asBoolean()).isFalse();
    assertThat(all.path("kvs").get(0).path("value").asText()).isEqualTo("1b");
    assertThat(all.path("revision").asLong()).isPositive();

    JsonNode limited = s.get("/v1/kv/rng/?prefix=true&limit=2").ok();
    assertThat(keys(limited)).containsExactly("rng/a", "rng/b");
    assertThat(limited.path("count").asLong()).isEqualTo(3);
    assertThat(limited.path("more").asBoolean()).isTrue();

    JsonNode ranged = s.get("/v1/kv/rng/a?range_end=rng/c").ok();
    assertThat(keys(ranged)).containsExactly("rng/a", "rng/b");

    JsonNode keysOnly = s.get("/v1/kv/rng/?prefix=true&keys_only=true").ok();
    assertThat(keys(keysOnly)).containsExactly("rng/a", "rng/b", "rng/c");
    keysOnly.path("kvs").forEach(kv -> assertThat(kv.has("value")).isFalse());
    JsonNode oneKeyOnly = s.get("/v1/kv/rng/b?keys_only=true").ok().path("kv");
    assertThat(oneKeyOnly.path("key").asText()).isEqualTo("rng/b");
    assertThat(oneKeyOnly.has("value")).isFalse();

    JsonNode counted = s.get("/v1/kv/rng/?prefix=true&count_only=true").ok();
    assertThat(counted.path("count").asLong()).isEqualTo(3);
    assertThat(counted.path("kvs").size()).isZero();
    JsonNode countedOne = s.get("/v1/kv/rng/b?count_only=true").ok();
    assertThat(countedOne.path("count").asLong()).isEqualTo(1);
    assertThat(countedOne.has("kv")).isFalse();

    JsonNode old = s.get("/v1/kv/rng/a?revision=" + r1).ok();
    assertThat(old.path("kv").path("value").asText()).isEqualTo("1");
    assertThat(old.path("kv").path("mod_revision").asLong()).isEqualTo(r1);
    JsonNode oldRange = s.get("/v1/kv/rng/?prefix=true&revision=" + r1).ok();
    assertThat(keys(oldRange)).containsExactly("rng/a");

    for (String c : List.of("serializable", "linearizable")) {
      JsonNode g = s.get("/v1/kv/rng/b?consistency=" + c).ok();
      assertThat(g.path("kv").path("value").asText()).isEqualTo("2");
    }
  }

  @Test
  void rangeEndZeroMeansNoUpperBound() {
    s.createNamespace("kv-unbounded");
    for (String k : List.of("a", "m", "n/1", "z", "\u00e9")) {
      s.putKv("kv-unbounded", k.equals("\u00e9") ? "%C3%A9" : k, "v");
    }
    JsonNode fromM = s.get("/v1/ns/kv-unbounded/kv/m?range_end=%00").ok();
    assertThat(keys(fromM)).containsExactly("m", "n/1", "z", "\u00e9");
    JsonNode all = s.get("/v1/ns/kv-unbounded/kv/?prefix=true").ok();
    assertThat(all.path("count").asLong()).isEqualTo(5);
    JsonNode gone = s.delete("/v1/ns/kv-unbounded/kv/n?range_end=%00").ok();
    assertThat(gone.path("deleted").asLong()).isEqualTo(3);
    assertThat(keys(s.get("/v1/ns/kv-unbounded/kv/?prefix=true").ok())).containsExactly("a", "m");
  }

  @Test
  void deleteSingleAndPrefix() {
    s.putKv(null, "del/a", "1");
    s.putKv(null, "del/b", "2");
    s.putKv(null, "del/c", "3");
    s.putKv(null, "delx", "stays");

    Resp one = s.delete("/v1/kv/del/a");
    JsonNode d = one.ok();
    assertThat(d.path("deleted").asLong()).isEqualTo(1);
    long rev = d.path("revision").asLong();
    assertThat(one.header("X-Cairn-Revision")).contains(Long.toString(rev));
    s.get("/v1/kv/del/a").problem(404, "key_not_found");

    // Deleting what is not there changes nothing and spends no revision.
    JsonNode none = s.delete("/v1/kv/del/a").ok();
    assertThat(none.path("deleted").asLong()).isZero();
    assertThat(none.path("revision").asLong()).isEqualTo(rev);

    JsonNode withPrev = s.delete("/v1/kv/del/?prefix=true&prev_kv=true").ok();
    assertThat(withPrev.path("deleted").asLong()).isEqualTo(2);
    assertThat(withPrev.path("revision").asLong()).isEqualTo(rev + 1);
    assertThat(withPrev.path("prev_kvs").size()).isEqualTo(2);
    assertThat(s.get("/v1/kv/del/?prefix=true&count_only=true").ok().path("count").asLong())
        .isZero();
    assertThat(s.get("/v1/kv/delx").ok().path("kv").path("value").asText()).isEqualTo("stays");

    s.putKv(null, "delr/a", "1");
    s.putKv(null, "delr/b", "2");
    s.putKv(null, "delr/c", "3");
    assertThat(s.delete("/v1/kv/delr/a?range_end=delr/c").ok().path("deleted").asLong())
        .isEqualTo(2);
    assertThat(keys(s.get("/v1/kv/delr/?prefix=true").ok())).containsExactly("delr/c");
  }

  @Test
  void ifMatchAndIfNoneMatchAreCompareAndSet() {
    long rev = s.putKv(null, "cas/a", "1").json().path("revision").asLong();
    String etag = s.get("/v1/kv/cas/a").header("ETag").orElseThrow();
    assertThat(etag).isEqualTo("\"" + rev + "\"");

    // A stale revision: 412, and nothing changes.
    JsonNode before = s.snapshot(null);
    s.put("/v1/kv/cas/a", "lost", "If-Match", "\"" + (rev + 1000) + "\"")
        .problem(412, "precondition_failed");
    s.delete("/v1/kv/cas/a", "If-Match", "\"" + (rev + 1000) + "\"")
        .problem(412, "precondition_failed");
    // A missing key never matches a revision, nor *.
    s.put("/v1/kv/cas/missing", "x", "If-Match", "\"" + rev + "\"")
        .problem(412, "precondition_failed");
    s.put("/v1/kv/cas/missing", "x", "If-Match", "*").problem(412, "precondition_failed");
    // An existing key fails If-None-Match: *.
    s.put("/v1/kv/cas/a", "lost", "If-None-Match", "*").problem(412, "precondition_failed");
    assertThat(s.snapshot(null)).isEqualTo(before);
    s.get("/v1/kv/cas/missing").problem(404, "key_not_found");

    // The current ETag matches.
    Resp ok = s.put("/v1/kv/cas/a", "2", "If-Match", etag);
    long rev2 = ok.ok().path("revision").asLong();
    assertThat(ok.header("ETag")).contains("\"" + rev2 + "\"");
    assertThat(s.get("/v1/kv/cas/a").ok().path("kv").path("value").asText()).isEqualTo("2");
    s.put("/v1/kv/cas/a", "3", "If-Match", etag).problem(412, "precondition_failed");
    s.put("/v1/kv/cas/a", "3", "If-Match", "*").ok();

    // Create-if-absent.
    s.put("/v1/kv/cas/new", "first", "If-None-Match", "*").ok();
    assertThat(s.get("/v1/kv/cas/new").ok().path("kv").path("value").asText()).isEqualTo("first");

    // Conditional delete.
    String cur = s.get("/v1/kv/cas/new").header("ETag").orElseThrow();
    assertThat(s.delete("/v1/kv/cas/new", "If-Match", cur).ok().path("deleted").asLong())
        .isEqualTo(1);
    s.get("/v1/kv/cas/new").problem(404, "key_not_found");
  }

  @Test
  void sequentialKeysAreZeroPaddedRevisionsInCreationOrder() {
    Resp first = s.post("/v1/kv/queue/job-?sequential=true", "w1");
    JsonNode f = first.ok(201);
    long rev = f.path("revision").asLong();
    String key = f.path("kv").path("key").asText();
    assertThat(key).matches("queue/job-\\d{20}");
    assertThat(key).isEqualTo("queue/job-" + String.format("%020d", rev));
    assertThat(f.path("kv").path("value").asText()).isEqualTo("w1");
    assertThat(first.header("ETag")).contains("\"" + rev + "\"");
    assertThat(first.header("Location")).contains("/v1/kv/" + key);

    String second =
        s.post("/v1/kv/queue/job-?sequential=true", "w2").ok(201).path("kv").path("key").asText();
    assertThat(second).isGreaterThan(key);
    assertThat(keys(s.get("/v1/kv/queue/?prefix=true").ok())).containsExactly(key, second);
    assertThat(s.get("/v1/kv/" + key).ok().path("kv").path("value").asText()).isEqualTo("w1");
  }

  @Test
  void aSequentialKeyIsAlwaysNewAndASquattedNameIsAConflict() {
    s.createNamespace("squat");
    long rev = s.putKv("squat", "warmup", "v").json().path("revision").asLong();
    // The next write's revision is rev + 1; put that very name first, then ask for it.
    String name = "q/" + String.format("%020d", rev + 2);
    s.putKv("squat", name, "squatter");
    s.post("/v1/ns/squat/kv/q/?sequential=true", "w").problem(409, "key_exists");
    assertThat(s.get("/v1/ns/squat/kv/" + name).ok().path("kv").path("value").asText())
        .isEqualTo("squatter");
  }

  @Test
  void sequentialKeysInANamespaceAreLocatedThere() {
    s.createNamespace("seq");
    Resp r = s.post("/v1/ns/seq/kv/q/?sequential=true", "w");
    String key = r.ok(201).path("kv").path("key").asText();
    assertThat(r.header("Location")).contains("/v1/ns/seq/kv/" + key);
    String location = r.header("Location").orElseThrow();
    assertThat(s.get(location).ok().path("kv").path("value").asText()).isEqualTo("w");
  }

  @Test
  void compactionForgetsOlderRevisions() {
    s.createNamespace("compact");
    long r1 = s.putKv("compact", "k", "v1").json().path("revision").asLong();
    long r2 = s.putKv("compact", "k", "v2").json().path("revision").asLong();
    long r3 = s.putKv("compact", "k", "v3").json().path("revision").asLong();
    assertThat(s.get("/v1/ns/compact/kv/k?revision=" + r1).ok().path("kv").path("value").asText())
        .isEqualTo("v1");

    JsonNode c = s.post("/v1/ns/compact/compact", "{\"revision\": " + r2 + "}").ok();
    assertThat(c.path("compact_revision").asLong()).isEqualTo(r2);
    assertThat(c.path("revision").asLong()).isGreaterThan(r3);

    JsonNode before = s.snapshot("compact");
    JsonNode p = s.get("/v1/ns/compact/kv/k?revision=" + r1).problem(410, "compacted");
    assertThat(p.path("compact_revision").asLong()).isEqualTo(r2);
    s.get("/v1/ns/compact/kv/?prefix=true&revision=" + r1).problem(410, "compacted");
    // Compacting again at or before the compaction point is refused.
    s.post("/v1/ns/compact/compact", "{\"revision\": " + r1 + "}").problem(410, "compacted");
    s.post("/v1/ns/compact/compact", "{\"revision\": 999999}").problem(400, "future_revision");
    assertThat(s.snapshot("compact")).isEqualTo(before);

    // The compaction point itself and later revisions remain readable.
    assertThat(s.get("/v1/ns/compact/kv/k?revision=" + r2).ok().path("kv").path("value").asText())
        .isEqualTo("v2");
    assertThat(s.get("/v1/ns/compact/kv/k").ok().path("kv").path("value").asText()).isEqualTo("v3");
    // Compaction is per namespace: the default namespace keeps its history.
    s.putKv(null, "cmp/other", "x");
    s.putKv(null, "cmp/other", "y");
    long d1 = s.get("/v1/kv/cmp/other").ok().path("kv").path("create_revision").asLong();
    assertThat(s.get("/v1/kv/cmp/other?revision=" + d1).ok().path("kv").path("value").asText())
        .isEqualTo("x");
  }

  @Test
  void namespacedKvIsIndependentOfTheDefaultNamespace() {
    s.createNamespace("nskv");
    s.putKv(null, "same/key", "in-default");
    JsonNode p = s.put("/v1/ns/nskv/kv/same/key", "in-nskv").ok();
    long nsRev = p.path("revision").asLong();
    assertThat(s.get("/v1/kv/same/key").ok().path("kv").path("value").asText())
        .isEqualTo("in-default");
    Resp g = s.get("/v1/ns/nskv/kv/same/key");
    assertThat(g.ok().path("kv").path("value").asText()).isEqualTo("in-nskv");
    assertThat(g.header("ETag")).contains("\"" + nsRev + "\"");
    assertThat(s.get("/v1/ns/nskv/kv/same/?prefix=true").ok().path("count").asLong()).isEqualTo(1);
    assertThat(s.delete("/v1/ns/nskv/kv/same/key").ok().path("deleted").asLong()).isEqualTo(1);
    assertThat(s.get("/v1/kv/same/key").ok().path("kv").path("value").asText())
        .isEqualTo("in-default");
  }
}
