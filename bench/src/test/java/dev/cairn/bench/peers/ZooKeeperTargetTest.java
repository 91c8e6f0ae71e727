package dev.cairn.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.bench.load.target.ClientChannel;
import dev.cairn.bench.load.target.ErrorSamples;
import dev.cairn.bench.load.target.Outcome;
import dev.cairn.bench.load.target.Workload;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ZooKeeper driver against an in-process standalone server. */
class ZooKeeperTargetTest {

  @TempDir Path dir;
  private ServerCnxnFactory factory;
  private String connect;

  @BeforeEach
  void startServer() throws Exception {
    File data = dir.toFile();
    ZooKeeperServer server = new ZooKeeperServer(data, data, 2000);
    factory = ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", 0), 100);
    factory.startup(server);
    connect = "127.0.0.1:" + factory.getLocalPort();
  }

  @AfterEach
  void stopServer() {
    factory.shutdown();
  }

  private static Outcome await(
      java.util.function.Consumer<dev.cairn.bench.load.target.Completion> op) throws Exception {
    CompletableFuture<Outcome> done = new CompletableFuture<>();
    op.accept(done::complete);
    return done.get(10, TimeUnit.SECONDS);
  }

  @Test
  void loadsPutsAndReadsThroughSharedSessions() throws Exception {
    Workload w = Workload.of("bench/k", 5, 16);
    try (ZooKeeperTarget zk =
        new ZooKeeperTarget(
            connect, 2, Duration.ofSeconds(10), w, new ErrorSamples("zookeeper", 5, System.err))) {
      assertThat(zk.clientDescription()).isEqualTo("zookeeper-async/2-sessions");
      ClientChannel a = zk.open(0);
      ClientChannel b = zk.open(3);
      assertThat(await(done -> a.get(4, done))).isEqualTo(Outcome.FAILED); // not there yet
      assertThat(await(done -> a.put(4, done)))
          .isEqualTo(Outcome.FAILED); // setData needs the znode
      assertThat(await(done -> a.load(4, done))).isEqualTo(Outcome.OK);
      assertThat(await(done -> b.load(4, done))).isEqualTo(Outcome.OK); // exists: overwritten
      assertThat(await(done -> b.put(4, done))).isEqualTo(Outcome.OK);
      assertThat(await(done -> a.get(4, done))).isEqualTo(Outcome.OK);
    }
  }
}
