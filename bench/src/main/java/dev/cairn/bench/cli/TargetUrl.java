package dev.cairn.bench.cli;

import java.net.URI;
import picocli.CommandLine.Option;

/** {@code --url}: the base URL of the server under test, Cairn's or etcd's. */
public final class TargetUrl {
  /** Where {@code bin/cairn server} and {@code bin/bench} serve Cairn. */
  public static final URI CAIRN = URI.create("http://127.0.0.1:7070");

  /** Where {@code bin/bench} serves etcd's client API. */
  public static final URI ETCD = URI.create("http://127.0.0.1:2379");

  @Option(
      names = "--url",
      description =
          "server base URL (default: http://127.0.0.1:7070 for cairn, http://127.0.0.1:2379 for etcd)")
  URI url;

  /** The URL given, or the default one of etcd ({@code etcd} true) or Cairn. */
  public URI resolve(boolean etcd) {
    return url != null ? url : etcd ? ETCD : CAIRN;
  }

  /** The port of {@link #resolve}, 80 when the URL names none. */
  public int port(boolean etcd) {
    int port = resolve(etcd).getPort();
    return port > 0 ? port : 80;
  }
}
