package dev.cairn.actors.watch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.actors.Wire;
import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.WatchEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.UnhandledMessage;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hub's messages: each type round-trips through Pekko serialization as configured, and the hub
 * handles every command type.
 */
class WatchHubProtocolTest {
  private static final Duration T = Duration.ofSeconds(10);
  static ActorSystem system;

  @BeforeAll
  static void start() {
    system = Wire.system("watch-hub-protocol");
  }

  @AfterAll
  static void stop() {
    TestKit.shutdownActorSystem(system);
  }

  static final KeyValue KV =
      new KeyValue("a/x", Bytes.wrap(new byte[] {0, (byte) 0xff}), 3, 4, 2, 0);

  static final List<WatchEvent> CHANGES =
      List.of(
          new WatchEvent(WatchEvent.Type.PUT, KV, null),
          new WatchEvent(WatchEvent.Type.DELETE, KV, KV));

  /** One command of each type, in an order a hub can act on: register, changes, progress, end. */
  static List<WatchHub.Command> commands(ActorRef subscriber) {
    return List.of(
        new WatchHub.Register(subscriber, 1, "a/", "a0", 3, CHANGES),
        new WatchHub.Committed(4, CHANGES),
        new WatchHub.ProgressMark(subscriber, 4),
        new WatchHub.EndAll("namespace deleted"),
        new WatchHub.Unregister(subscriber, -1));
  }

  static List<WatchHub.Notification> notifications() {
    return List.of(
        new WatchHub.Deliveries(
            4,
            List.of(
                new WatchHub.Delivery(new long[] {1, 2}, CHANGES, false),
                WatchHub.Delivery.of(3, List.of(), true))),
        new WatchHub.Progress(4),
        new WatchHub.Ended("namespace deleted"));
  }

  static Set<Class<?>> permitted(Class<?> family) {
    return Arrays.stream(family.getPermittedSubclasses()).collect(Collectors.toSet());
  }

  @Test
  void everyMessageTypeRoundTripsThroughTheConfiguredSerializer() throws Exception {
    TestKit probe = new TestKit(system);
    List<Object> messages = new ArrayList<>(commands(probe.getRef()));
    messages.addAll(notifications());
    assertThat(commands(probe.getRef()).stream().map(Object::getClass).collect(Collectors.toSet()))
        .isEqualTo(permitted(WatchHub.Command.class));
    assertThat(notifications().stream().map(Object::getClass).collect(Collectors.toSet()))
        .isEqualTo(permitted(WatchHub.Notification.class));

    for (Object m : messages) {
      Object back = Wire.roundTrip(system, m);
      assertThat(back).as("%s", m.getClass()).isEqualTo(m);
    }
  }

  @Test
  void theHubHandlesEveryCommandType() {
    TestKit unhandled = new TestKit(system);
    system.getEventStream().subscribe(unhandled.getRef(), UnhandledMessage.class);
    ActorRef hub = system.actorOf(WatchHub.props());
    TestKit sub = new TestKit(system);

    for (WatchHub.Command c : commands(sub.getRef())) {
      hub.tell(c, ActorRef.noSender());
    }
    WatchHub.Deliveries history = sub.expectMsgClass(T, WatchHub.Deliveries.class);
    assertThat(history.deliveries())
        .singleElement()
        .satisfies(d -> assertThat(d.history()).isTrue());
    WatchHub.Deliveries live = sub.expectMsgClass(T, WatchHub.Deliveries.class);
    assertThat(live.revision()).isEqualTo(4);
    assertThat(sub.expectMsgClass(T, WatchHub.Progress.class).revision()).isEqualTo(4);
    assertThat(sub.expectMsgClass(T, WatchHub.Ended.class).reason()).isEqualTo("namespace deleted");
    // The last command (Unregister) answers nothing; a progress mark after it proves it was taken.
    hub.tell(new WatchHub.ProgressMark(sub.getRef(), 5), ActorRef.noSender());
    assertThat(sub.expectMsgClass(T, WatchHub.Progress.class).revision()).isEqualTo(5);
    unhandled.expectNoMessage(Duration.ofMillis(200));
  }
}
