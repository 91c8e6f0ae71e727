package dev.cairn.bench.load;

import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.load.target.ErrorSamples;
import dev.cairn.bench.load.target.Workload;
import java.util.List;

/**
 * Cairn's HTTP API: {@code PUT /v1/kv/{key}} with the raw value as body, and {@code GET
 * /v1/kv/{key}} (linearizable by default, or {@code ?consistency=serializable}). A 404 on a read
 * counts as an error, since every key is preloaded before reads are measured. With namespaces, key
 * {@code i} lives in namespace {@code i mod n} ({@code /v1/ns/{ns}/kv/{key}}), so every namespace
 * gets an equal share of the operations.
 */
public final class CairnTarget extends HttpTarget {

  private static final String OCTETS = "application/octet-stream";

  private final String[] paths;
  private final String[] readPaths;
  private final byte[] value;

  public CairnTarget(HttpTransport transport, Workload workload, ErrorSamples errors) {
    this(List.of(transport), workload, List.of(), false, errors);
  }

  /**
   * @param namespaces where the keys live, round-robin; empty for the default namespace's plain
   *     {@code /v1/kv}
   * @param serializable whether reads ask for {@code consistency=serializable}
   */
  public CairnTarget(
      List<HttpTransport> transports,
      Workload workload,
      List<String> namespaces,
      boolean serializable,
      ErrorSamples errors) {
    super(transports, errors);
    this.value = workload.value();
    this.paths = new String[workload.keys()];
    this.readPaths = new String[workload.keys()];
    for (int i = 0; i < paths.length; i++) {
      paths[i] =
          (namespaces.isEmpty()
                  ? "/v1/kv/"
                  : "/v1/ns/" + namespaces.get(i % namespaces.size()) + "/kv/")
              + workload.key(i);
      readPaths[i] = serializable ? paths[i] + "?consistency=serializable" : paths[i];
    }
  }

  @Override
  public String name() {
    return "cairn";
  }

  @Override
  protected HttpCall putCall(int key) {
    return HttpCall.put(paths[key], value, OCTETS);
  }

  @Override
  protected HttpCall pingCall() {
    return HttpCall.get("/health");
  }

  @Override
  protected HttpCall getCall(int key) {
    return HttpCall.get(readPaths[key]);
  }
}
