package dev.cairn.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code openapi.yaml} as a judge of real exchanges: it finds the operation a request addresses and
 * checks an answer against what the document says of it — the status is listed, the media type is
 * listed, a JSON body validates against the listed schema (with an OpenAPI 3.0 JSON Schema
 * validator, not a hand-written walk), the documented headers have their documented types — and,
 * for a request the server accepted, that its path parameters and JSON body are valid by the
 * document too (the server must not accept what the document says is invalid).
 *
 * <p>Paths are matched as the document defines them: literal segments exactly, {@code {key}}
 * (always last) the rest of the path, any other {@code {param}} one segment, possibly empty. A path
 * no template matches is not a resource: the answer must be a 404 {@code not_found} (or a 400 for a
 * path that cannot be decoded).
 */
final class OpenApiDocument {
  private static final String BASE = "https://cairn.invalid/openapi.yaml";
  private static final List<String> METHODS =
      List.of("get", "put", "post", "delete", "patch", "head", "options");
  private static final Set<String> STANDARD_METHODS =
      Set.of("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final JsonNode doc;
  private final SchemaRegistry registry;
  private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

  /** One documented operation. {@code pointer} is its JSON pointer in the document. */
  record Operation(String method, String template, JsonNode node, String pointer) {
    @Override
    public String toString() {
      return method.toUpperCase(Locale.ROOT) + " " + template;
    }
  }

  /** An operation matched by a concrete path, with the path parameters' raw values. */
  record Match(Operation op, Map<String, String> params) {}

  private OpenApiDocument(String text) {
    try {
      this.doc = new ObjectMapper(new YAMLFactory()).readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.registry =
        SchemaRegistry.withDialect(Dialects.getOpenApi30(), b -> b.schemas(Map.of(BASE, text)));
  }

  static OpenApiDocument load() {
    try (InputStream in = OpenApiDocument.class.getResourceAsStream("/openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException("openapi.yaml is not on the classpath");
      }
      return new OpenApiDocument(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  JsonNode doc() {
    return doc;
  }

  /** Every documented operation, in document order. */
  List<Operation> operations() {
    List<Operation> out = new ArrayList<>();
    doc.path("paths")
        .fields()
        .forEachRemaining(
            e -> {
              for (String m : METHODS) {
                if (e.getValue().has(m)) {
                  out.add(
                      new Operation(
                          m,
                          e.getKey(),
                          e.getValue().get(m),
                          "/paths/" + escape(e.getKey()) + "/" + m));
                }
              }
            });
    return out;
  }

  /** The templates (paths) that {@code rawPath} (percent-encoded, no query) matches. */
  List<Map.Entry<String, Map<String, String>>> matchPath(String rawPath) {
    List<Map.Entry<String, Map<String, String>>> out = new ArrayList<>();
    doc.path("paths")
        .fieldNames()
        .forEachRemaining(
            t -> {
              Map<String, String> params = matchTemplate(t, rawPath);
              if (params != null) {
                out.add(Map.entry(t, params));
              }
            });
    return out;
  }

  Optional<Match> match(String method, String rawPath) {
    String m = method.toLowerCase(Locale.ROOT);
    if (m.equals("head")) {
      m = "get"; // HEAD is GET without the body (RFC 9110); the document lists GET.
    }
    for (Map.Entry<String, Map<String, String>> e : matchPath(rawPath)) {
      JsonNode node = doc.path("paths").path(e.getKey()).path(m);
      if (!node.isMissingNode()) {
        return Optional.of(
            new Match(
                new Operation(m, e.getKey(), node, "/paths/" + escape(e.getKey()) + "/" + m),
                e.getValue()));
      }
    }
    return Optional.empty();
  }

  private static Map<String, String> matchTemplate(String template, String rawPath) {
    String[] t = template.substring(1).split("/", -1);
    String[] p = rawPath.startsWith("/") ? rawPath.substring(1).split("/", -1) : new String[] {""};
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 0; i < t.length; i++) {
      boolean last = i == t.length - 1;
      if ((t[i].equals("{key}") || t[i].equals("{name}")) && !last) {
        // A name followed by literal segments (an election's /proclaim): the name is what lies
        // between, which may contain '/'.
        int tail = t.length - i - 1;
        if (p.length < t.length) {
          return null;
        }
        for (int j = 1; j <= tail; j++) {
          if (t[t.length - j].startsWith("{") || !t[t.length - j].equals(p[p.length - j])) {
            return null;
          }
        }
        params.put(
            t[i].substring(1, t[i].length() - 1),
            String.join("/", Arrays.asList(p).subList(i, p.length - tail)));
        return params;
      }
      if ((t[i].equals("{key}") || t[i].equals("{name}")) && last) {
        if (p.length < t.length) {
          return null;
        }
        // A key or a lock name may contain '/': the rest of the path.
        params.put(
            t[i].substring(1, t[i].length() - 1),
            String.join("/", Arrays.asList(p).subList(i, p.length)));
        return params;
      }
      if (i >= p.length) {
        return null;
      }
      if (t[i].startsWith("{")) {
        params.put(t[i].substring(1, t[i].length() - 1), p[i]);
      } else if (!t[i].equals(p[i])) {
        return null;
      }
    }
    return p.length == t.length ? params : null;
  }

  /**
   * Every way the answer breaks the document; empty when it keeps it.
   *
   * @param requestBody the request's body, or null
   */
  List<String> check(
      String method,
      String rawPath,
      byte[] requestBody,
      int status,
      java.net.http.HttpHeaders headers,
      byte[] body) {
    List<String> out = new ArrayList<>();
    String what = method + " " + rawPath + " -> " + status;
    String type = headers.firstValue("Content-Type").orElse("");
    String media = type.replaceAll(";.*", "").trim().toLowerCase(Locale.ROOT);
    boolean head = method.equalsIgnoreCase("HEAD");
    if (media.equals("application/problem+json") && !head) {
      // Whatever the route, a problem is a Problem.
      validate("/components/schemas/Problem", body, what, out);
      JsonNode p = parse(body);
      if (p != null && p.path("status").asInt() != status) {
        out.add(what + ": problem status " + p.path("status") + " is not the HTTP status");
      }
    }
    boolean standard = STANDARD_METHODS.contains(method.toUpperCase(Locale.ROOT));
    Optional<Match> match = match(method, rawPath);
    if (match.isEmpty() && status == 413 && requestBody != null) {
      // A body over the limit is refused as it arrives, before routing: any route, any method.
      return out;
    }
    if (match.isEmpty()) {
      boolean pathKnown = !matchPath(rawPath).isEmpty();
      if (pathKnown) {
        // 405, or what the path alone earns first: 404 for a namespace that cannot exist, 400.
        if (!(status == 405 || (!standard && status == 501) || status == 404 || status == 400)) {
          out.add(what + ": " + method + " is not documented for this path, so 405 is due");
        }
      } else if (status != 404 && status != 400 && !(status == 501 && !standard)) {
        out.add(what + ": no documented path matches, so 404 not_found is due");
      }
      if (status < 400 || !media.equals("application/problem+json")) {
        out.add(what + ": an undocumented request must get a problem, not " + type);
      }
      return out;
    }
    Operation op = match.get().op();
    JsonNode responses = op.node().path("responses");
    JsonNode response = responses.path(Integer.toString(status));
    if (response.isMissingNode()) {
      if (status >= 400 && responses.has("default")) {
        response = responses.get("default");
      } else {
        out.add(what + ": status " + status + " is not documented for " + op);
        return out;
      }
    }
    response = resolve(response);
    JsonNode content = response.path("content");
    if (content.size() > 0 && !head) {
      if (!content.has(media)) {
        out.add(
            what + ": media type '" + type + "' is not documented (" + fieldNames(content) + ")");
      } else if (media.endsWith("json")) {
        String pointer =
            (responses.has(Integer.toString(status))
                    ? responsePointer(op, Integer.toString(status), responses)
                    : responsePointer(op, "default", responses))
                + "/content/"
                + escape(media)
                + "/schema";
        validate(pointer, body, what, out);
      }
    }
    response
        .path("headers")
        .fields()
        .forEachRemaining(
            h -> {
              Optional<String> v = headers.firstValue(h.getKey());
              JsonNode schema = resolve(resolve(h.getValue()).path("schema"));
              if (v.isEmpty()) {
                if (h.getKey().equals(Responses.REVISION_HEADER) && status < 300) {
                  out.add(what + ": documented header " + h.getKey() + " is missing");
                }
              } else if (schema.path("type").asText().equals("integer")) {
                try {
                  Long.parseLong(v.get());
                } catch (NumberFormatException e) {
                  out.add(what + ": header " + h.getKey() + " '" + v.get() + "' is not an integer");
                }
              }
            });
    if (status < 300) {
      // The server accepted the request: the document must not call it invalid.
      checkAcceptedRequest(match.get(), requestBody, what, out);
    }
    return out;
  }

  private void checkAcceptedRequest(Match m, byte[] requestBody, String what, List<String> out) {
    List<JsonNode> params = new ArrayList<>();
    doc.path("paths").path(m.op().template()).path("parameters").forEach(params::add);
    m.op().node().path("parameters").forEach(params::add);
    for (JsonNode p : params) {
      JsonNode r = resolve(p);
      if (!r.path("in").asText().equals("path")) {
        continue;
      }
      String raw = m.params().get(r.path("name").asText());
      JsonNode schema = resolve(r.path("schema"));
      JsonNode value;
      if (schema.path("type").asText().equals("integer")) {
        try {
          value = JSON.getNodeFactory().numberNode(Long.parseLong(raw));
        } catch (NumberFormatException e) {
          out.add(what + ": accepted path parameter " + r.path("name") + "='" + raw + "'");
          continue;
        }
      } else {
        value = JSON.getNodeFactory().textNode(Request.decode(raw));
      }
      List<Error> errors = schemaAt(schemaPointer(p, r)).validate(value);
      if (!errors.isEmpty()) {
        out.add(what + ": accepted path parameter " + r.path("name") + "='" + raw + "': " + errors);
      }
    }
    JsonNode rb = resolve(m.op().node().path("requestBody"));
    if (rb.path("content").has("application/json") && requestBody != null) {
      String pointer =
          (m.op().node().path("requestBody").has("$ref")
                  ? m.op().node().path("requestBody").get("$ref").asText().substring(1)
                  : m.op().pointer() + "/requestBody")
              + "/content/application~1json/schema";
      List<String> bad = new ArrayList<>();
      validate(pointer, requestBody, what + " (request body)", bad);
      for (String b : bad) {
        out.add(b + " — yet the server accepted it");
      }
    }
  }

  /** The JSON pointer of a parameter's schema ({@code p} as written, {@code r} resolved). */
  private String schemaPointer(JsonNode p, JsonNode r) {
    if (p.has("$ref")) {
      return p.get("$ref").asText().substring(1) + "/schema";
    }
    // An inline parameter: find it by identity in the document.
    throw new IllegalStateException("inline path parameter " + r + ": use components/parameters");
  }

  private String responsePointer(Operation op, String status, JsonNode responses) {
    JsonNode r = responses.path(status);
    return r.has("$ref")
        ? r.get("$ref").asText().substring(1)
        : op.pointer() + "/responses/" + status;
  }

  /** Validates {@code body} (JSON bytes) against the schema at {@code pointer}. */
  void validate(String pointer, byte[] body, String what, List<String> out) {
    JsonNode n = parse(body);
    if (n == null) {
      out.add(what + ": body is not JSON");
      return;
    }
    validate(pointer, n, what, out);
  }

  void validate(String pointer, JsonNode n, String what, List<String> out) {
    List<Error> errors = schemaAt(pointer).validate(n);
    if (!errors.isEmpty()) {
      out.add(what + ": " + n + " does not validate against " + pointer + ": " + errors);
    }
  }

  Schema schemaAt(String pointer) {
    return schemas.computeIfAbsent(
        pointer,
        p ->
            registry.getSchema(
                SchemaLocation.of(BASE + "#" + p.replace("{", "%7B").replace("}", "%7D"))));
  }

  JsonNode resolve(JsonNode n) {
    while (n.has("$ref")) {
      n = doc.at(n.get("$ref").asText().substring(1));
    }
    return n;
  }

  static String escape(String pointerSegment) {
    return pointerSegment.replace("~", "~0").replace("/", "~1");
  }

  private static JsonNode parse(byte[] body) {
    try {
      return body == null || body.length == 0 ? null : JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  private static String fieldNames(JsonNode n) {
    List<String> l = new ArrayList<>();
    n.fieldNames().forEachRemaining(l::add);
    return String.join(", ", l);
  }
}
