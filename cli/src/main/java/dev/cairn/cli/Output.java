package dev.cairn.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.core.keyspace.WatchEvent;
import java.io.PrintStream;
import java.util.Base64;

/**
 * What a command prints: text for people, or one JSON document per answer ({@code --output json};
 * one per line for streams such as {@code watch}). The JSON uses the HTTP API's field names, so a
 * script can treat both alike.
 */
final class Output {
  static final ObjectMapper MAPPER = new ObjectMapper();

  /** The output formats of {@code --output}. */
  enum Format {
    text,
    json
  }

  private final Format format;
  private final PrintStream out;

  Output(Format format, PrintStream out) {
    this.format = format;
    this.out = out;
  }

  boolean json() {
    return format == Format.json;
  }

  /** Prints {@code text} in text mode (nothing when null), {@code doc} on one line in JSON mode. */
  void print(String text, JsonNode doc) {
    if (json()) {
      try {
        out.println(MAPPER.writeValueAsString(doc));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    } else if (text != null) {
      out.println(text);
    }
    out.flush();
  }

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** A key-value as the HTTP API writes it (binary values in base64 with their encoding). */
  static ObjectNode kv(KeyValue kv) {
    ObjectNode o = object();
    o.put("key", kv.key());
    value(o, kv.value());
    o.put("create_revision", kv.createRevision());
    o.put("mod_revision", kv.modRevision());
    o.put("version", kv.version());
    if (kv.lease() != 0) {
      o.put("lease", kv.lease());
    }
    return o;
  }

  static void value(ObjectNode o, Bytes v) {
    String text = v.utf8OrNull();
    if (text != null) {
      o.put("value", text);
    } else {
      o.put("value", Base64.getEncoder().encodeToString(v.toByteArray()));
      o.put("encoding", "base64");
    }
  }

  /** A value for people: its text, or its base64 marked as such when it is not UTF-8. */
  static String text(Bytes v) {
    String t = v.utf8OrNull();
    return t != null ? t : "base64:" + Base64.getEncoder().encodeToString(v.toByteArray());
  }

  static ObjectNode range(Reply.RangeReply r) {
    ObjectNode o = object();
    o.put("revision", r.revision());
    ArrayNode kvs = o.putArray("kvs");
    r.kvs().forEach(kv -> kvs.add(kv(kv)));
    o.put("count", r.count());
    o.put("more", r.more());
    return o;
  }

  static ObjectNode put(Reply.PutReply r) {
    ObjectNode o = object();
    o.put("revision", r.revision());
    o.set("kv", kv(r.kv()));
    if (r.prevKv() != null) {
      o.set("prev_kv", kv(r.prevKv()));
    }
    return o;
  }

  static ObjectNode delete(Reply.DeleteReply r) {
    ObjectNode o = object();
    o.put("revision", r.revision());
    o.put("deleted", r.deleted());
    ArrayNode prev = o.putArray("prev_kvs");
    r.prevKvs().forEach(kv -> prev.add(kv(kv)));
    return o;
  }

  static ObjectNode txn(Reply.TxnReply r) {
    ObjectNode o = object();
    o.put("revision", r.revision());
    o.put("succeeded", r.succeeded());
    ArrayNode responses = o.putArray("responses");
    for (Reply each : r.responses()) {
      if (each instanceof Reply.PutReply p) {
        responses.addObject().set("put", put(p));
      } else if (each instanceof Reply.DeleteReply d) {
        responses.addObject().set("delete", delete(d));
      } else if (each instanceof Reply.RangeReply g) {
        responses.addObject().set("range", range(g));
      } else {
        throw new IllegalStateException("unhandled " + each);
      }
    }
    return o;
  }

  static ObjectNode event(WatchEvent e) {
    ObjectNode o = object();
    o.put("type", e.type().name());
    o.put("revision", e.kv().modRevision());
    o.set("kv", kv(e.kv()));
    if (e.prevKv() != null) {
      o.set("prev_kv", kv(e.prevKv()));
    }
    return o;
  }

  static String eventText(WatchEvent e) {
    String head = e.type().name() + " " + e.kv().key();
    return (e.type() == WatchEvent.Type.DELETE ? head : head + " " + text(e.kv().value()))
        + " (revision "
        + e.kv().modRevision()
        + ")";
  }
}
