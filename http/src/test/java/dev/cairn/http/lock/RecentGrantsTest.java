package dev.cairn.http.lock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.recipes.lock.Lock;
import org.junit.jupiter.api.Test;

class RecentGrantsTest {
  private static Lock.Grant grant(String name, long token) {
    return new Lock.Grant(name, Lock.key(name, token), token, 1);
  }

  @Test
  void aGrantIsTakenOnceAndOnlyByItsNamespaceNameAndToken() {
    RecentGrants grants = new RecentGrants(10);
    Lock.Grant g = grant("a", 5);
    grants.remember("ns", g);
    assertThat(grants.take("other", "a", 5)).isNull();
    assertThat(grants.take("ns", "b", 5)).isNull();
    assertThat(grants.take("ns", "a", 6)).isNull();
    assertThat(grants.take("ns", "a", 5)).isEqualTo(g);
    assertThat(grants.take("ns", "a", 5)).isNull();
  }

  @Test
  void pastItsLimitItStartsAgainEmpty() {
    RecentGrants grants = new RecentGrants(3);
    for (long t = 1; t <= 3; t++) {
      grants.remember("ns", grant("a", t));
    }
    grants.remember("ns", grant("a", 4)); // the fourth: the first three are forgotten
    for (long t = 1; t <= 3; t++) {
      assertThat(grants.take("ns", "a", t)).as("token %d", t).isNull();
    }
    assertThat(grants.take("ns", "a", 4)).isNotNull();
  }
}
