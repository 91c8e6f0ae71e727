package dev.cairn.bench.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DistributionTest {

  @Test
  void tenKills() {
    Distribution d = Distribution.of(List.of(10.0, 1.0, 9.0, 2.0, 8.0, 3.0, 7.0, 4.0, 6.0, 5.0));
    assertThat(d.n()).isEqualTo(10);
    assertThat(d.median()).isEqualTo(5.5);
    assertThat(d.p90()).isEqualTo(9.0); // nearest rank: the 9th of 10
    assertThat(d.max()).isEqualTo(10.0);
    assertThat(d.min()).isEqualTo(1.0);
    assertThat(d.mean()).isEqualTo(5.5);
  }

  @Test
  void anOddCountHasItsMiddleValueAsMedian() {
    Distribution d = Distribution.of(List.of(3.0, 100.0, 1.0));
    assertThat(d.median()).isEqualTo(3.0);
    assertThat(d.p90()).isEqualTo(100.0);
  }

  @Test
  void nothingMeasuredIsNullInTheJson() {
    assertThat(Distribution.of(List.of()).json())
        .containsEntry("n", 0)
        .containsEntry("median", null)
        .containsEntry("max", null);
  }
}
