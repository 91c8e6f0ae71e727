package dev.cairn.bench.cli;

import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.peers.EtcdTarget;
import picocli.CommandLine.Option;

/** {@code --etcd-api}: the prefix of etcd's JSON gateway. */
public final class EtcdApi {
  @Option(
      names = "--etcd-api",
      description =
          "etcd: gateway prefix, e.g. /v3 (default: the first of /v3, /v3beta, /v3alpha that answers)")
  String prefix;

  /** The prefix given, or the one the server behind {@code transport} answers on. */
  public String resolve(HttpTransport transport) throws Exception {
    return prefix != null ? prefix : EtcdTarget.detectApiPrefix(transport);
  }
}
