package dev.cairn.http.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When the members a node cannot reach make it not ready. */
class ReadinessReachTest {
  @Test
  void aNodeReachingEveryMemberOrAllButAMinorityIsReady() {
    assertThat(OpsApi.outOfReach(1, 0)).isNull();
    assertThat(OpsApi.outOfReach(3, 0)).isNull();
    assertThat(OpsApi.outOfReach(3, 1)).isNull();
    assertThat(OpsApi.outOfReach(5, 2)).isNull();
  }

  @Test
  void aNodeThatCannotReachHalfOfItsMembersIsNot() {
    assertThat(OpsApi.outOfReach(3, 2))
        .isEqualTo(
            "this node cannot reach 2 of the 3 cluster members it knows: it may be cut off from the"
                + " namespace leaders");
    assertThat(OpsApi.outOfReach(2, 1)).isNotNull();
    assertThat(OpsApi.outOfReach(5, 3)).isNotNull();
    assertThat(OpsApi.outOfReach(4, 2)).isNotNull();
  }
}
