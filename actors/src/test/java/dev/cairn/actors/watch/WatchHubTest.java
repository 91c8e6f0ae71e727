package dev.cairn.actors.watch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.KeyRange;
import dev.cairn.core.keyspace.WatchEvent;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WatchHubTest {
  private static final Duration T = Duration.ofSeconds(5);
  private ActorSystem system;

  @BeforeEach
  void start() {
    system = ActorSystem.create("watch-hub");
  }

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  private static WatchEvent put(String key, long rev) {
    return new WatchEvent(
        WatchEvent.Type.PUT, new KeyValue(key, Bytes.utf8("v"), rev, rev, 1, 0), null);
  }

  /** Each delivery of one message as "keys -> watch ids", sorted. */
  private static List<String> shape(WatchHub.Deliveries d) {
    return d.deliveries().stream()
        .map(
            one ->
                one.events().stream().map(e -> e.kv().key()).toList()
                    + " -> "
                    + Arrays.stream(one.watchIds()).boxed().sorted().toList())
        .sorted()
        .toList();
  }

  @Test
  void watchesOfOneRangeShareADeliveryAndLeaveItOneByOne() {
    ActorRef hub = system.actorOf(WatchHub.props());
    TestKit sub = new TestKit(system);
    String a = "a/";
    hub.tell(new WatchHub.Register(sub.getRef(), 1, a, KeyRange.prefixEnd(a), 0, List.of()), null);
    hub.tell(new WatchHub.Register(sub.getRef(), 2, a, KeyRange.prefixEnd(a), 0, List.of()), null);
    hub.tell(new WatchHub.Register(sub.getRef(), 3, "a/x", null, 0, List.of()), null);
    for (int i = 0; i < 3; i++) {
      WatchHub.Deliveries registration = sub.expectMsgClass(T, WatchHub.Deliveries.class);
      assertThat(registration.deliveries().get(0).history()).isTrue();
    }

    List<WatchEvent> changes = List.of(put("a/x", 1), put("b", 1));
    hub.tell(new WatchHub.Committed(1, changes), null);
    WatchHub.Deliveries d = sub.expectMsgClass(T, WatchHub.Deliveries.class);
    // One delivery for the two prefix watches, one for the single-key watch; "b" matches none.
    assertThat(shape(d)).containsExactly("[a/x] -> [1, 2]", "[a/x] -> [3]");

    hub.tell(new WatchHub.Unregister(sub.getRef(), 1), null);
    hub.tell(new WatchHub.Committed(2, List.of(put("a/y", 2))), null);
    d = sub.expectMsgClass(T, WatchHub.Deliveries.class);
    assertThat(d.deliveries()).hasSize(1);
    assertThat(d.deliveries().get(0).watchIds()).containsExactly(2L);

    hub.tell(new WatchHub.Unregister(sub.getRef(), -1), null);
    hub.tell(new WatchHub.Committed(3, List.of(put("a/z", 3))), null);
    sub.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void theNodeCountOfSubscriptionsFollowsRegistrationsAndReturnsToZero() {
    WatchHubs count = WatchHubs.get(system);
    ActorRef hub = system.actorOf(WatchHub.props());
    TestKit a = new TestKit(system);
    TestKit b = new TestKit(system);
    hub.tell(new WatchHub.Register(a.getRef(), 1, "x", null, 0, List.of()), null);
    hub.tell(new WatchHub.Register(a.getRef(), 2, "y", null, 0, List.of()), null);
    hub.tell(new WatchHub.Register(b.getRef(), 1, "x", null, 0, List.of()), null);
    a.expectMsgClass(T, WatchHub.Deliveries.class);
    a.expectMsgClass(T, WatchHub.Deliveries.class);
    b.expectMsgClass(T, WatchHub.Deliveries.class);
    // The hub sends a registration's history before it counts it.
    TestKit probe = new TestKit(system);
    probe.awaitAssert(T, () -> assertThat(count.subscriptions()).isEqualTo(3));

    hub.tell(new WatchHub.Unregister(a.getRef(), 2), null);
    hub.tell(new WatchHub.Unregister(a.getRef(), 7), null); // not registered: no change
    probe.awaitAssert(T, () -> assertThat(count.subscriptions()).isEqualTo(2));
    // A subscriber that goes away takes its watches with it.
    system.stop(b.getRef());
    probe.awaitAssert(T, () -> assertThat(count.subscriptions()).isEqualTo(1));
    // A hub that stops (with its leader) takes every registration with it.
    system.stop(hub);
    probe.awaitAssert(T, () -> assertThat(count.subscriptions()).isZero());
  }
}
