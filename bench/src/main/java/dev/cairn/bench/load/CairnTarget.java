package dev.cairn.bench.load;

import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.load.target.ErrorSamples;
import dev.cairn.bench.load.target.Workload;

/**
 * Cairn's HTTP API: {@code PUT /v1/kv/{key}} with the raw value as body, and {@code GET
 * /v1/kv/{key}} (linearizable by default). A 404 on a read counts as an error, since every key is
 * preloaded before reads are measured.
 */
public final class CairnTarget extends HttpTarget {

  private static final String OCTETS = "application/octet-stream";

  private final String[] paths;
  private final byte[] value;

  public CairnTarget(HttpTransport transport, Workload workload, ErrorSamples errors) {
    super(transport, errors);
    this.value = workload.value();
    this.paths = new String[workload.keys()];
    for (int i = 0; i < paths.length; i++) {
      paths[i] = "/v1/kv/" + workload.key(i);
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
    return HttpCall.get(paths[key]);
  }
}
