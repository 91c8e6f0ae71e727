package dev.cairn.http.watch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.KeyRange;
import dev.cairn.http.Json;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The JSON messages a client sends on a watch WebSocket, parsed and checked. Each is a JSON object
 * with exactly one field naming its type; anything else is {@link Invalid}, with the error code and
 * detail the client gets back. Only the message itself is checked here; what depends on the
 * connection (a watch_id in use, too many watches) is the connection's to check.
 */
sealed interface ClientMessage {

  /**
   * Starts a watch on {@code [key, rangeEnd)} (rangeEnd null: the key alone).
   *
   * @param watchId the client's id, or -1 to have the connection pick one
   * @param startRevision 0: from now on
   */
  record Create(
      long watchId,
      String key,
      String rangeEnd,
      long startRevision,
      boolean prevKv,
      boolean noPut,
      boolean noDelete)
      implements ClientMessage {}

  record Cancel(long watchId) implements ClientMessage {}

  /** Asks for a progress notification of every watch. */
  record Progress() implements ClientMessage {}

  record Heartbeat() implements ClientMessage {}

  /**
   * @param id the lease id wanted, or 0 to have one chosen
   */
  record LeaseGrant(long ttlSeconds, long id) implements ClientMessage {}

  record LeaseAttach(long id) implements ClientMessage {}

  record LeaseRevoke(long id) implements ClientMessage {}

  /**
   * Acquires lock {@code name} for the session, waiting up to {@code timeoutMs} (0: try once).
   *
   * @param lease one of the session's leases, or 0 for the session's first
   */
  record LockAcquire(String name, long timeoutMs, long lease) implements ClientMessage {}

  /** Releases lock {@code name} held with fencing token {@code token}. */
  record LockRelease(String name, long token) implements ClientMessage {}

  /**
   * An HTTP request sent over the session (see {@link Calls}): run through the same routes as a
   * request on the client port, answered by a {@code reply} with the same {@code id}.
   *
   * @param id the client's id for the call, echoed in its reply
   * @param path the request's path and query, percent-encoded as in a request line
   * @param headers request headers as name, value, name, value, … ({@code Content-Type} among them)
   */
  record Call(long id, String method, String path, List<String> headers, byte[] body)
      implements ClientMessage {}

  /** The wait for a lock when the message gives none (as over HTTP). */
  long DEFAULT_LOCK_TIMEOUT_MS = 25_000;

  /** The longest wait for a lock: a socket has no request timeout, so it may wait longer. */
  long MAX_LOCK_TIMEOUT_MS = 3_600_000;

  /** A message that is not one of the above; the client gets an error with {@code code}. */
  final class Invalid extends RuntimeException {
    final ErrorCode code;

    Invalid(ErrorCode code, String detail) {
      super(detail, null, false, false);
      this.code = code;
    }
  }

  /**
   * Parses a text message: one message, or several written one after another (a client sends calls
   * so, in one frame, when several are queued). Each element of the answer is a {@link
   * ClientMessage}, or the {@link Invalid} the client is told about; text that stops being JSON
   * ends the list with one.
   */
  static List<Object> parseAll(String text) {
    List<Object> out = new java.util.ArrayList<>(1);
    // A parser, not MappingIterator: that one would unwrap a root-level array into its elements.
    try (com.fasterxml.jackson.core.JsonParser p = Json.MAPPER.getFactory().createParser(text)) {
      while (p.nextToken() != null) {
        JsonNode root = NODES.readValue(p);
        try {
          out.add(of(root));
        } catch (Invalid e) {
          out.add(e);
        }
      }
    } catch (Exception e) {
      out.add(new Invalid(ErrorCode.MALFORMED_REQUEST, "message is not JSON"));
      return out;
    }
    if (out.isEmpty()) {
      out.add(new Invalid(ErrorCode.MALFORMED_REQUEST, "message is not JSON"));
    }
    return out;
  }

  /** Reads one value of several: what follows it is the next message, not an error. */
  com.fasterxml.jackson.databind.ObjectReader NODES =
      Json.MAPPER
          .readerFor(JsonNode.class)
          .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** Parses one text message; throws {@link Invalid}. */
  static ClientMessage parse(String text) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(text);
    } catch (Exception e) {
      throw new Invalid(ErrorCode.MALFORMED_REQUEST, "message is not JSON");
    }
    return of(root);
  }

  private static ClientMessage of(JsonNode root) {
    if (root == null || !root.isObject() || root.size() != 1) {
      throw new Invalid(
          ErrorCode.MALFORMED_REQUEST,
          "a message is a JSON object with exactly one of create, cancel, progress,"
              + " lease_grant, lease_attach, lease_revoke, lock, unlock, heartbeat, call");
    }
    String type = root.fieldNames().next();
    JsonNode body = root.get(type);
    return switch (type) {
      case "create" -> create(body);
      case "cancel" -> {
        requireObject(body, "cancel", "watch_id");
        if (!body.has("watch_id")) {
          throw new Invalid(ErrorCode.MALFORMED_REQUEST, "cancel needs a watch_id");
        }
        yield new Cancel(number(body, "watch_id", 0));
      }
      case "progress" -> {
        requireObject(body, "progress");
        yield new Progress();
      }
      case "heartbeat" -> {
        requireObject(body, "heartbeat");
        yield new Heartbeat();
      }
      case "lease_grant" -> {
        requireObject(body, "lease_grant", "ttl", "id");
        long ttl = number(body, "ttl", -1);
        if (ttl < 0) {
          throw new Invalid(ErrorCode.MALFORMED_REQUEST, "lease_grant needs a ttl in seconds");
        }
        yield new LeaseGrant(ttl, number(body, "id", 0));
      }
      case "lease_attach" -> new LeaseAttach(leaseId(body, "lease_attach"));
      case "lease_revoke" -> new LeaseRevoke(leaseId(body, "lease_revoke"));
      case "lock" -> {
        requireObject(body, "lock", "name", "timeout_ms", "lease");
        long timeout = number(body, "timeout_ms", DEFAULT_LOCK_TIMEOUT_MS);
        if (timeout > MAX_LOCK_TIMEOUT_MS) {
          throw new Invalid(
              ErrorCode.INVALID_ARGUMENT,
              "timeout_ms must be between 0 and " + MAX_LOCK_TIMEOUT_MS + ", not " + timeout);
        }
        yield new LockAcquire(lockName(body, "lock"), timeout, number(body, "lease", 0));
      }
      case "unlock" -> {
        requireObject(body, "unlock", "name", "token");
        long token = number(body, "token", 0);
        if (token <= 0) {
          throw new Invalid(ErrorCode.MALFORMED_REQUEST, "unlock needs the lock's token");
        }
        yield new LockRelease(lockName(body, "unlock"), token);
      }
      case "call" -> call(body);
      default ->
          throw new Invalid(ErrorCode.MALFORMED_REQUEST, "unknown message type '" + type + "'");
    };
  }

  private static Create create(JsonNode c) {
    requireObject(
        c,
        "create",
        "key",
        "prefix",
        "range_end",
        "start_revision",
        "prev_kv",
        "watch_id",
        "filters",
        "no_put",
        "no_delete");
    JsonNode keyNode = c.get("key");
    if (keyNode == null || !keyNode.isTextual()) {
      throw new Invalid(ErrorCode.MALFORMED_REQUEST, "create needs a key (string)");
    }
    String key = keyNode.asText();
    boolean prefix = bool(c, "prefix");
    String rangeEnd = null;
    if (c.has("range_end")) {
      if (prefix) {
        throw new Invalid(ErrorCode.MALFORMED_REQUEST, "use either prefix or range_end");
      }
      rangeEnd = text(c, "range_end");
      if (rangeEnd.equals("\0")) {
        rangeEnd = KeyRange.UNBOUNDED;
      }
    } else if (prefix) {
      rangeEnd = KeyRange.prefixEnd(key);
    }
    if (key.isEmpty() && rangeEnd == null) {
      throw new Invalid(ErrorCode.EMPTY_KEY, "key must not be empty");
    }
    long start = number(c, "start_revision", 0);
    long id = c.has("watch_id") ? number(c, "watch_id", 0) : -1;
    boolean noPut = bool(c, "no_put");
    boolean noDelete = bool(c, "no_delete");
    JsonNode filters = c.get("filters");
    if (filters != null) {
      if (!filters.isArray()) {
        throw new Invalid(ErrorCode.MALFORMED_REQUEST, "filters must be an array");
      }
      for (JsonNode f : filters) {
        switch (f.asText().toLowerCase(Locale.ROOT)) {
          case "no_put", "noput" -> noPut = true;
          case "no_delete", "nodelete" -> noDelete = true;
          default ->
              throw new Invalid(ErrorCode.MALFORMED_REQUEST, "unknown filter '" + f.asText() + "'");
        }
      }
    }
    return new Create(id, key, rangeEnd, start, bool(c, "prev_kv"), noPut, noDelete);
  }

  private static Call call(JsonNode c) {
    requireObject(c, "call", "id", "method", "path", "headers", "body", "body_base64");
    if (!c.has("id")) {
      throw new Invalid(ErrorCode.MALFORMED_REQUEST, "call needs an id");
    }
    long id = number(c, "id", 0);
    String method = text(c, "method");
    if (!Calls.METHODS.contains(method)) {
      throw new Invalid(
          ErrorCode.MALFORMED_REQUEST, "call: method must be one of " + Calls.METHODS);
    }
    String path = text(c, "path");
    if (!path.startsWith("/")) {
      throw new Invalid(ErrorCode.MALFORMED_REQUEST, "call: path must start with '/'");
    }
    List<String> headers = new java.util.ArrayList<>(4);
    JsonNode h = c.get("headers");
    if (h != null && !h.isNull()) {
      if (!h.isObject()) {
        throw new Invalid(ErrorCode.MALFORMED_REQUEST, "call: headers must be a JSON object");
      }
      for (Iterator<java.util.Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
        var e = it.next();
        if (!e.getValue().isTextual()) {
          throw new Invalid(
              ErrorCode.MALFORMED_REQUEST, "call: header '" + e.getKey() + "' must be a string");
        }
        headers.add(e.getKey());
        headers.add(e.getValue().asText());
      }
    }
    byte[] body = null;
    if (c.has("body") && c.has("body_base64")) {
      throw new Invalid(ErrorCode.MALFORMED_REQUEST, "call: either body or body_base64");
    }
    if (c.has("body")) {
      body = text(c, "body").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    } else if (c.has("body_base64")) {
      try {
        body = java.util.Base64.getDecoder().decode(text(c, "body_base64"));
      } catch (IllegalArgumentException e) {
        throw new Invalid(ErrorCode.MALFORMED_REQUEST, "call: body_base64 is not base64");
      }
    }
    return new Call(id, method, path, headers, body);
  }

  private static String lockName(JsonNode c, String type) {
    JsonNode n = c.get("name");
    if (n == null || !n.isTextual() || n.asText().isEmpty()) {
      throw new Invalid(ErrorCode.MALFORMED_REQUEST, type + " needs a lock name (string)");
    }
    return n.asText();
  }

  private static long leaseId(JsonNode c, String type) {
    requireObject(c, type, "id");
    long id = number(c, "id", -1);
    if (id <= 0) {
      throw new Invalid(ErrorCode.MALFORMED_REQUEST, type + " needs a lease id");
    }
    return id;
  }

  private static void requireObject(JsonNode n, String type, String... allowed) {
    if (n == null || !n.isObject()) {
      throw new Invalid(ErrorCode.MALFORMED_REQUEST, type + " must be a JSON object");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!List.of(allowed).contains(f)) {
        throw new Invalid(ErrorCode.MALFORMED_REQUEST, "unknown field '" + f + "' in " + type);
      }
    }
  }

  private static boolean bool(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw new Invalid(ErrorCode.MALFORMED_REQUEST, field + " must be true or false");
    }
    return v.asBoolean();
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new Invalid(ErrorCode.MALFORMED_REQUEST, field + " must be a string");
    }
    return v.asText();
  }

  private static long number(JsonNode n, String field, long dflt) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
      throw new Invalid(ErrorCode.MALFORMED_REQUEST, field + " must be a non-negative integer");
    }
    return v.asLong();
  }
}
