package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;

class LeaderPlacementTest {
  private static LeaderPlacement.Region region(
      int port, boolean coordinators, boolean leaving, int shards) {
    return new LeaderPlacement.Region(
        null, new Address("pekko", "cairn", "127.0.0.1", port), coordinators, leaving, shards);
  }

  @Test
  void aNewShardGoesToTheNodeWithFewestThatDoesNotRunTheCoordinator() {
    var coordinator = region(1, true, false, 0);
    var busy = region(2, false, false, 3);
    var light = region(3, false, false, 1);
    assertThat(LeaderPlacement.allocate(List.of(coordinator, busy, light))).contains(light);
  }

  @Test
  void theCoordinatorsNodeTakesShardsOnlyWhenNoOtherCanAndALeavingNodeOnlyAsALastResort() {
    var coordinator = region(1, true, false, 5);
    var leaving = region(2, false, true, 0);
    assertThat(LeaderPlacement.allocate(List.of(coordinator, leaving))).contains(coordinator);
    assertThat(LeaderPlacement.allocate(List.of(coordinator))).contains(coordinator);
    assertThat(LeaderPlacement.allocate(List.of(leaving))).contains(leaving);
    assertThat(LeaderPlacement.allocate(List.of())).isEmpty();
  }

  @Test
  void rebalancingMovesShardsOffTheCoordinatorsNodeFirstThenEvensTheOthers() {
    var coordinator = region(1, true, false, 2);
    var a = region(2, false, false, 4);
    var b = region(3, false, false, 0);
    assertThat(LeaderPlacement.rebalanceFrom(List.of(coordinator, a, b))).contains(coordinator);
    var emptied = region(1, true, false, 0);
    assertThat(LeaderPlacement.rebalanceFrom(List.of(emptied, a, b))).contains(a);
    var even = region(3, false, false, 3);
    assertThat(LeaderPlacement.rebalanceFrom(List.of(emptied, a, even))).isEmpty();
  }

  @Test
  void aLoneNodeKeepsItsShardsAndALeavingNodeIsNoTarget() {
    var alone = region(1, true, false, 7);
    assertThat(LeaderPlacement.rebalanceFrom(List.of(alone))).isEmpty();
    var leaving = region(2, false, true, 0);
    assertThat(LeaderPlacement.rebalanceFrom(List.of(alone, leaving))).isEmpty();
  }
}
