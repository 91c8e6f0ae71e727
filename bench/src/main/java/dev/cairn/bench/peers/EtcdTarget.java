package dev.cairn.bench.peers;

import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.load.HttpTarget;
import dev.cairn.bench.load.target.ErrorSamples;
import dev.cairn.bench.load.target.Workload;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * etcd v3 through its gRPC JSON gateway, which is HTTP/1.1 with JSON bodies like Cairn's API:
 * {@code POST <api>/kv/put {"key","value"}} and {@code POST <api>/kv/range {"key"}}, keys and
 * values base64-encoded. A range without {@code serializable} is linearizable. A read counts as a
 * success only when the answer holds the key ({@code "kvs"}).
 */
public final class EtcdTarget extends HttpTarget {

  /**
   * Gateway prefixes by etcd version: 3.4 serves {@code /v3} and {@code /v3beta}, 3.3 {@code
   * /v3beta}, 3.2 {@code /v3alpha}.
   */
  static final List<String> API_PREFIXES = List.of("/v3", "/v3beta", "/v3alpha");

  private static final String JSON = "application/json";
  private static final byte[] KVS = "\"kvs\"".getBytes(StandardCharsets.US_ASCII);

  private final String putPath;
  private final String rangePath;
  private final byte[][] putBodies;
  private final byte[][] rangeBodies;

  /**
   * @param apiPrefix the gateway prefix, e.g. {@code /v3}; see {@link #detectApiPrefix}
   * @param errors where the first errors are described
   */
  public EtcdTarget(
      HttpTransport transport, Workload workload, String apiPrefix, ErrorSamples errors) {
    super(transport, errors);
    this.putPath = apiPrefix + "/kv/put";
    this.rangePath = apiPrefix + "/kv/range";
    Base64.Encoder b64 = Base64.getEncoder();
    String value = b64.encodeToString(workload.value());
    this.putBodies = new byte[workload.keys()][];
    this.rangeBodies = new byte[workload.keys()][];
    for (int i = 0; i < workload.keys(); i++) {
      String key = b64.encodeToString(workload.key(i).getBytes(StandardCharsets.UTF_8));
      putBodies[i] =
          ("{\"key\":\"" + key + "\",\"value\":\"" + value + "\"}")
              .getBytes(StandardCharsets.US_ASCII);
      rangeBodies[i] = ("{\"key\":\"" + key + "\"}").getBytes(StandardCharsets.US_ASCII);
    }
  }

  /**
   * Finds the gateway prefix the server at the other end of {@code transport} serves, by asking
   * each known prefix for an empty range.
   */
  public static String detectApiPrefix(HttpTransport transport) throws Exception {
    List<String> tried = new ArrayList<>();
    for (String prefix : API_PREFIXES) {
      HttpAnswer r =
          transport.exchange(
              HttpCall.post(prefix + "/kv/range", "{\"key\":\"AA==\"}", JSON),
              Duration.ofSeconds(10));
      if (r.ok()) {
        return prefix;
      }
      tried.add(prefix + " -> " + r.status());
    }
    throw new IOException("no etcd JSON gateway found: " + tried);
  }

  @Override
  public String name() {
    return "etcd";
  }

  @Override
  protected HttpCall putCall(int key) {
    return HttpCall.post(putPath, putBodies[key], JSON);
  }

  @Override
  protected HttpCall pingCall() {
    return HttpCall.get("/health");
  }

  @Override
  protected HttpCall getCall(int key) {
    return HttpCall.post(rangePath, rangeBodies[key], JSON);
  }

  @Override
  protected boolean getSucceeded(int status, byte[] body) {
    return status >= 200 && status < 300 && contains(body, KVS);
  }

  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
