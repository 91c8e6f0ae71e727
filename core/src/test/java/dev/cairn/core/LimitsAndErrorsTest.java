package dev.cairn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LimitsAndErrorsTest {

  @Nested
  class LimitsValidation {
    @Test
    void defaultsMatchTheDocumentedValues() {
      assertThat(Limits.DEFAULT.maxKeyBytes()).isEqualTo(4096);
      assertThat(Limits.DEFAULT.maxValueBytes()).isEqualTo(1024 * 1024);
      assertThat(Limits.DEFAULT.maxTxnOps()).isEqualTo(128);
      assertThat(Limits.DEFAULT.minTtlSeconds()).isEqualTo(1);
      assertThat(Limits.DEFAULT.maxTtlSeconds()).isEqualTo(7 * 24 * 3600);
    }

    @ParameterizedTest(name = "Limits({0}, {1}, {2}, {3}, {4}) is refused")
    @CsvSource({
      "0, 1, 1, 1, 1",
      "1, -1, 1, 1, 1",
      "1, 1, 0, 1, 1",
      "1, 1, 1, 0, 1",
      "1, 1, 1, 2, 1",
    })
    void refusesNonsensicalLimits(int key, int value, int ops, long minTtl, long maxTtl) {
      assertThatThrownBy(() -> new Limits(key, value, ops, minTtl, maxTtl))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void acceptsAZeroValueLimitAndEqualTtlBounds() {
      Limits l = new Limits(1, 0, 1, 5, 5);
      assertThat(l.maxValueBytes()).isZero();
    }
  }

  @Nested
  class ErrorCodes {
    @Test
    void wireStringsAreUniqueSnakeCaseOfTheName() {
      Set<String> seen = new HashSet<>();
      for (ErrorCode c : ErrorCode.values()) {
        assertThat(c.wire()).matches("[a-z]+(_[a-z]+)*").isEqualTo(c.name().toLowerCase());
        assertThat(seen.add(c.wire())).as("duplicate wire string %s", c.wire()).isTrue();
      }
    }

    @Test
    void wireStringsThatClientsMatchOnAreStable() {
      assertThat(Arrays.stream(ErrorCode.values()).map(ErrorCode::wire))
          .contains(
              "empty_key",
              "key_too_large",
              "value_too_large",
              "compacted",
              "future_revision",
              "lease_not_found",
              "namespace_not_found");
    }

    @Test
    void rejectionOfHasNoRevisionAndRequiresCodeAndDetail() {
      Rejection r = Rejection.of(ErrorCode.EMPTY_KEY, "x");
      assertThat(r.revision()).isZero();
      assertThatThrownBy(() -> Rejection.of(null, "x")).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> Rejection.of(ErrorCode.EMPTY_KEY, null))
          .isInstanceOf(NullPointerException.class);
    }

    @Test
    void keyValueRequiresKeyAndValue() {
      assertThatThrownBy(() -> new KeyValue(null, Bytes.EMPTY, 1, 1, 1, 0))
          .isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> new KeyValue("k", null, 1, 1, 1, 0))
          .isInstanceOf(NullPointerException.class);
    }
  }
}
