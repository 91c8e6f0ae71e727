package dev.cairn.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.core.keyspace.WatchEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** The JSON of the HTTP API and the session's messages, decoded into core's value types. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static JsonNode read(byte[] body) {
    try {
      return MAPPER.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException("the server's answer is not JSON", e);
    }
  }

  static JsonNode read(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("the server's message is not JSON", e);
    }
  }

  /** The JSON messages of one session message: one, or several one after another. */
  static List<JsonNode> readAll(String text) {
    try (var values = MAPPER.readerFor(JsonNode.class).<JsonNode>readValues(text)) {
      return values.readAll();
    } catch (IOException e) {
      throw new UncheckedIOException("the server's message is not JSON", e);
    }
  }

  static byte[] write(Object o) {
    try {
      return MAPPER.writeValueAsBytes(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String writeString(Object o) {
    return new String(write(o), StandardCharsets.UTF_8);
  }

  /** A key-value; a missing {@code value} (write answers, keys_only, deletes) is empty. */
  static KeyValue kv(JsonNode n) {
    return new KeyValue(
        n.get("key").asText(),
        value(n),
        n.path("create_revision").asLong(),
        n.path("mod_revision").asLong(),
        n.path("version").asLong(),
        n.path("lease").asLong());
  }

  static Bytes value(JsonNode n) {
    JsonNode v = n.get("value");
    if (v == null || v.isNull()) {
      return Bytes.EMPTY;
    }
    return "base64".equals(n.path("encoding").asText())
        ? Bytes.wrap(Base64.getDecoder().decode(v.asText()))
        : Bytes.utf8(v.asText());
  }

  static List<KeyValue> kvs(JsonNode array) {
    List<KeyValue> out = new ArrayList<>(array == null ? 0 : array.size());
    if (array != null) {
      for (JsonNode n : array) {
        out.add(kv(n));
      }
    }
    return out;
  }

  static Reply.PutReply put(JsonNode j) {
    return new Reply.PutReply(
        j.path("revision").asLong(),
        kv(j.get("kv")),
        j.hasNonNull("prev_kv") ? kv(j.get("prev_kv")) : null);
  }

  static Reply.DeleteReply delete(JsonNode j) {
    return new Reply.DeleteReply(
        j.path("revision").asLong(), j.path("deleted").asLong(), kvs(j.get("prev_kvs")));
  }

  static Reply.RangeReply range(JsonNode j) {
    return new Reply.RangeReply(
        j.path("revision").asLong(),
        kvs(j.get("kvs")),
        j.path("count").asLong(),
        j.path("more").asBoolean());
  }

  static Reply.TxnReply txn(JsonNode j) {
    List<Reply> responses = new ArrayList<>();
    for (JsonNode r : j.path("responses")) {
      if (r.has("put")) {
        responses.add(put(r.get("put")));
      } else if (r.has("delete")) {
        responses.add(delete(r.get("delete")));
      } else if (r.has("range")) {
        responses.add(range(r.get("range")));
      } else {
        throw new IllegalStateException("unhandled txn response " + r);
      }
    }
    return new Reply.TxnReply(
        j.path("revision").asLong(), j.path("succeeded").asBoolean(), responses);
  }

  /** One event of a watch message. */
  static WatchEvent event(JsonNode e) {
    WatchEvent.Type type = WatchEvent.Type.valueOf(e.get("type").asText());
    return new WatchEvent(
        type, kv(e.get("kv")), e.hasNonNull("prev_kv") ? kv(e.get("prev_kv")) : null);
  }

  /** A value as the JSON API carries it: UTF-8 text, or base64 with its encoding. */
  static void putValue(com.fasterxml.jackson.databind.node.ObjectNode o, String field, Bytes v) {
    String text = v.utf8OrNull();
    if (text != null) {
      o.put(field, text);
    } else {
      o.put(field, Base64.getEncoder().encodeToString(v.toByteArray()));
      o.put("encoding", "base64");
    }
  }
}
