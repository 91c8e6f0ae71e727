package dev.cairn.core.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyRangeTest {

  @ParameterizedTest(name = "prefixEnd({0}) = {1}")
  @CsvSource({"a, b", "ab, ac", "a/, a0", "az, a{", "'', ''"})
  void prefixEndIncrementsTheLastCharacter(String prefix, String end) {
    assertThat(KeyRange.prefixEnd(prefix)).isEqualTo(end);
  }

  @Test
  void prefixEndDropsTrailingMaxCharacters() {
    assertThat(KeyRange.prefixEnd("a\uFFFF")).isEqualTo("b");
    assertThat(KeyRange.prefixEnd("a\uFFFF\uFFFF")).isEqualTo("b");
  }

  @Test
  void prefixEndOfOnlyMaxCharactersIsUnbounded() {
    assertThat(KeyRange.prefixEnd("\uFFFF\uFFFF")).isEqualTo(KeyRange.UNBOUNDED);
  }

  @Test
  void prefixEndIsGreaterThanEveryExtensionOfThePrefix() {
    String end = KeyRange.prefixEnd("ab");
    for (String k : new String[] {"ab", "ab\u0000", "abz", "ab\uFFFF\uFFFF"}) {
      assertThat(KeyRange.contains("ab", end, k)).as(k).isTrue();
    }
    for (String k : new String[] {"a", "aa\uFFFF", "ac", "b"}) {
      assertThat(KeyRange.contains("ab", end, k)).as(k).isFalse();
    }
  }

  @ParameterizedTest(name = "[{0}, {1}) contains {2}: {3}")
  @CsvSource(
      nullValues = "NULL",
      value = {
        "a, NULL, a, true",
        "a, NULL, ab, false",
        "a, c, a, true",
        "a, c, b, true",
        "a, c, c, false",
        "a, c, '0', false",
        "b, '', zzz, true",
        "b, '', a, false",
        "'', '', anything, true",
        "c, a, b, false",
      })
  void containsUsesAHalfOpenInterval(String key, String end, String candidate, boolean in) {
    assertThat(KeyRange.contains(key, end, candidate)).isEqualTo(in);
  }
}
