package dev.cairn.bench.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The shared options as watch-fanout reads them: its own window default, and given values. */
class WatchFanoutOptionsTest {

  @Test
  void theWindowIsThirtySecondsUnlessGiven() {
    WatchFanout plain = new WatchFanout();
    WatchFanout.commandLine(plain).parseArgs();
    assertThat(plain.window.duration()).isEqualTo(Duration.ofSeconds(30));
    assertThat(plain.window.warmup()).isEqualTo(Duration.ofSeconds(5));
    assertThat(plain.zooKeeper.connect()).isEqualTo("127.0.0.1:2181");
    assertThat(plain.zooKeeper.sessionTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(plain.url.resolve(false)).isEqualTo(URI.create("http://127.0.0.1:7070"));
    assertThat(plain.url.resolve(true)).isEqualTo(URI.create("http://127.0.0.1:2379"));

    WatchFanout given = new WatchFanout();
    WatchFanout.commandLine(given)
        .parseArgs(
            "--duration",
            "2s",
            "--warmup",
            "500ms",
            "--zk-connect",
            "h:2182",
            "--zk-session-timeout",
            "7s",
            "--url",
            "http://127.0.0.1:7171");
    assertThat(given.window.duration()).isEqualTo(Duration.ofSeconds(2));
    assertThat(given.window.warmup()).isEqualTo(Duration.ofMillis(500));
    assertThat(given.zooKeeper.port()).isEqualTo(2182);
    assertThat(given.zooKeeper.sessionTimeout()).isEqualTo(Duration.ofSeconds(7));
    assertThat(given.url.port(true)).isEqualTo(7171);
  }
}
