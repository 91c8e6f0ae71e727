package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.util.Version;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A member removed after it was downed is lost (the asks to its leaders are answered at once); one
 * removed after a graceful leave ({@code Exiting}) is not: its leaders were handed off first.
 */
class LostMembersTest {
  /**
   * A new member, made with Pekko's factory (internal to its cluster module, public in bytecode).
   */
  private static final Member JOINING =
      org.apache.pekko.cluster.Member$.MODULE$.apply(
          new UniqueAddress(new Address("pekko", "cairn", "127.0.0.1", 7301), 1L),
          CollectionConverters.asScala(java.util.Set.<String>of()).toSet(),
          Version.Zero());

  private static ClusterEvent.MemberRemoved removedAfter(Member before) {
    return new ClusterEvent.MemberRemoved(before.copy(MemberStatus.removed()), before.status());
  }

  @Test
  void aMemberRemovedAfterItsGracefulLeaveIsNotLost() {
    Member exiting =
        JOINING.copy(MemberStatus.up()).copy(MemberStatus.leaving()).copy(MemberStatus.exiting());
    assertThat(LostMembers.lost(removedAfter(exiting))).isFalse();
  }

  @Test
  void aMemberRemovedAfterItWasDownedIsLost() {
    Member down = JOINING.copy(MemberStatus.up()).copy(MemberStatus.down());
    assertThat(LostMembers.lost(removedAfter(down))).isTrue();
  }
}
