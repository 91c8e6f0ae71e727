package dev.cairn.actors.replica;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * A replica's settings, read from {@code cairn.replica} (and the ask timeout of {@code
 * cairn.namespace}).
 *
 * @param resyncAfter how long a replica waits for its leader's answer before asking again
 * @param afterLeaderStop how long after its leader stopped a replica asks the next leader
 * @param askTimeout how long a read waits for a replica that has not caught up yet
 */
public record ReplicaSettings(Duration resyncAfter, Duration afterLeaderStop, Duration askTimeout) {

  public static ReplicaSettings fromConfig(Config root) {
    Config c = root.getConfig("cairn.replica");
    return new ReplicaSettings(
        c.getDuration("resync-after"),
        c.getDuration("after-leader-stop"),
        root.getDuration("cairn.namespace.ask-timeout"));
  }
}
