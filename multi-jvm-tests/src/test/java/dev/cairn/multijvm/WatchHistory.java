package dev.cairn.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A key's or a prefix's whole history as the server keeps it, read from a server-sent-event watch
 * from revision 1 up to a given revision: the server's own account of what happened, to check the
 * clients' records against.
 */
final class WatchHistory {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One change: a put (with the key's value and create revision) or a delete, at {@code revision}.
   */
  record Change(long revision, boolean put, String key, String value, long createRevision) {}

  private WatchHistory() {}

  /**
   * Every change of {@code key} (or every key under it when {@code prefix}) from revision 1 until
   * the first change at {@code until} or later; {@code until} must be a revision at which the key
   * or prefix changed.
   */
  static List<Change> read(CairnProcess server, String key, boolean prefix, long until)
      throws IOException, InterruptedException {
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    String path = "/v1/watch/" + key + "?start_revision=1" + (prefix ? "&prefix=true" : "");
    HttpResponse<Stream<String>> r =
        http.send(
            HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(30)).GET().build(),
            HttpResponse.BodyHandlers.ofLines());
    if (r.statusCode() != 200) {
      throw new IOException("GET " + path + " answered " + r.statusCode());
    }
    List<Change> out = new ArrayList<>();
    try (Stream<String> lines = r.body()) {
      Iterator<String> it = lines.iterator();
      long revision = 0;
      boolean complete = false; // the id had no ".i": the last event of its revision
      String type = null;
      while (it.hasNext()) {
        String l = it.next();
        if (l.startsWith("id: ")) {
          String id = l.substring(4);
          int dot = id.indexOf('.');
          complete = dot < 0;
          revision = Long.parseLong(dot < 0 ? id : id.substring(0, dot));
        } else if (l.startsWith("event: ")) {
          type = l.substring(7);
        } else if (l.startsWith("data: ") && ("put".equals(type) || "delete".equals(type))) {
          JsonNode kv = JSON.readTree(l.substring(6));
          out.add(
              new Change(
                  revision,
                  type.equals("put"),
                  kv.path("key").asText(),
                  kv.path("value").asText(null),
                  kv.path("create_revision").asLong()));
          if (revision >= until && complete) {
            return out;
          }
        } else if (l.startsWith("data: ") && !"progress".equals(type)) {
          throw new IOException("the watch of " + path + " ended with " + type + ": " + l);
        }
      }
    }
    throw new IOException("the watch of " + path + " ended before revision " + until);
  }
}
