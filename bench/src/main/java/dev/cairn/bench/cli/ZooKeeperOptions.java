package dev.cairn.bench.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** Where the ZooKeeper server is and how long its sessions last. */
public final class ZooKeeperOptions {
  @Option(
      names = "--zk-connect",
      defaultValue = "127.0.0.1:2181",
      description = "zookeeper: connect string (default: ${DEFAULT-VALUE})")
  String connect;

  @Option(
      names = "--zk-session-timeout",
      defaultValue = "30s",
      description = "zookeeper: session timeout (default: ${DEFAULT-VALUE})")
  Duration sessionTimeout;

  public String connect() {
    return connect;
  }

  public Duration sessionTimeout() {
    return sessionTimeout;
  }

  /** The client port of the first server of the connect string. */
  public int port() {
    return port(connect);
  }

  /** The client port of the first server of {@code connect}, 2181 when it names none. */
  public static int port(String connect) {
    String first = connect.split(",", 2)[0];
    int slash = first.indexOf('/');
    if (slash >= 0) {
      first = first.substring(0, slash);
    }
    int colon = first.lastIndexOf(':');
    try {
      return colon < 0 ? 2181 : Integer.parseInt(first.substring(colon + 1));
    } catch (NumberFormatException e) {
      return 2181;
    }
  }
}
