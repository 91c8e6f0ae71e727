package dev.cairn.bench.load.target;

/** A system under load: Cairn, or a peer measured the same way. */
public interface Target extends AutoCloseable {

  /** Short name printed in results: {@code cairn}, {@code zookeeper}, {@code etcd}. */
  String name();

  /** How the generator talks to it, e.g. {@code netty-http1} or {@code zk-async/16-sessions}. */
  String clientDescription();

  /** Opens the channel of logical client {@code index} (0-based). */
  ClientChannel open(int index) throws Exception;

  @Override
  void close();
}
