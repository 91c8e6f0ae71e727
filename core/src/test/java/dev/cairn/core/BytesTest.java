package dev.cairn.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BytesTest {

  private static Bytes of(int... bs) {
    byte[] out = new byte[bs.length];
    for (int i = 0; i < bs.length; i++) {
      out[i] = (byte) bs[i];
    }
    return Bytes.wrap(out);
  }

  @Nested
  class ValueSemantics {
    @Test
    void equalContentsAreEqualAndHashAlike() {
      Bytes a = Bytes.copyOf(new byte[] {1, 2, 3});
      Bytes b = Bytes.wrap(new byte[] {1, 2, 3});
      assertThat(a).isEqualTo(b).isNotSameAs(b);
      assertThat(a.hashCode()).isEqualTo(b.hashCode());
      assertThat(a.compareTo(b)).isZero();
    }

    @Test
    void differentContentsAreNotEqual() {
      assertThat(Bytes.utf8("a")).isNotEqualTo(Bytes.utf8("b"));
      assertThat(Bytes.utf8("a")).isNotEqualTo(Bytes.utf8("aa"));
      assertThat(Bytes.utf8("a")).isNotEqualTo("a");
      assertThat(Bytes.utf8("a")).isNotEqualTo(null);
    }

    @Test
    void emptyInputsGiveTheSharedEmptyValue() {
      assertThat(Bytes.copyOf(new byte[0])).isSameAs(Bytes.EMPTY);
      assertThat(Bytes.wrap(new byte[0])).isSameAs(Bytes.EMPTY);
      assertThat(Bytes.utf8("")).isSameAs(Bytes.EMPTY);
      assertThat(Bytes.EMPTY.size()).isZero();
    }

    @Test
    void contentWhoseHashIsZeroStillHashesByContent() {
      // Arrays.hashCode({-31}) == 31 * 1 - 31 == 0, the "not computed yet" marker of the cache.
      Bytes z = Bytes.wrap(new byte[] {-31});
      assertThat(z.hashCode()).isZero();
      assertThat(z.hashCode()).isEqualTo(Bytes.copyOf(new byte[] {-31}).hashCode());
    }

    @Test
    void worksAsAMapKey() {
      var map = new java.util.HashMap<Bytes, String>();
      map.put(Bytes.utf8("k"), "v");
      assertThat(map).containsEntry(Bytes.copyOf("k".getBytes(StandardCharsets.UTF_8)), "v");
    }
  }

  @Nested
  class Isolation {
    @Test
    void copyOfIsNotAffectedByLaterChangesToTheSource() {
      byte[] src = {1, 2, 3};
      Bytes b = Bytes.copyOf(src);
      src[0] = 9;
      assertThat(b.toByteArray()).containsExactly(1, 2, 3);
    }

    @Test
    void toByteArrayReturnsAFreshCopy() {
      Bytes b = Bytes.utf8("abc");
      byte[] out = b.toByteArray();
      out[0] = 'z';
      assertThat(b.utf8String()).isEqualTo("abc");
      assertThat(b.toByteArray()).isNotSameAs(b.toByteArray());
    }

    @Test
    void wrapSharesTheArrayAsDocumented() {
      byte[] src = {1, 2};
      assertThat(Bytes.wrap(src).unsafeArray()).isSameAs(src);
    }
  }

  @Nested
  class Ordering {
    @Test
    void comparesBytesAsUnsigned() {
      // 0xFF is 255 unsigned, -1 signed: it must sort after 0x01.
      assertThat(of(0xFF).compareTo(of(0x01))).isPositive();
      assertThat(of(0x01).compareTo(of(0xFF))).isNegative();
      assertThat(of(0x80).compareTo(of(0x7F))).isPositive();
    }

    @Test
    void aPrefixSortsBeforeItsExtensions() {
      assertThat(of(1, 2).compareTo(of(1, 2, 0))).isNegative();
      assertThat(Bytes.EMPTY.compareTo(of(0))).isNegative();
    }

    @Test
    void sortingMatchesUtf8ByteOrder() {
      List<Bytes> list =
          new ArrayList<>(List.of(Bytes.utf8("é"), Bytes.utf8("z"), Bytes.utf8("a")));
      Collections.sort(list);
      assertThat(list).containsExactly(Bytes.utf8("a"), Bytes.utf8("z"), Bytes.utf8("é"));
    }
  }

  @Nested
  class Utf8 {
    @Test
    void roundTripsStrings() {
      String s = "héllo wörld ✓ 😀";
      assertThat(Bytes.utf8(s).utf8String()).isEqualTo(s);
      assertThat(Bytes.utf8(s).size()).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
      "'', true",
      "61, true", // a
      "c3a9, true", // é
      "f09f9880, true", // 😀
      "ff, false",
      "c3, false", // truncated 2-byte sequence
      "c0af, false", // overlong encoding of '/'
      "eda080, false", // encoded surrogate
      "80, false", // lone continuation byte
    })
    void detectsWellFormedUtf8(String hex, boolean utf8) {
      assertThat(Bytes.wrap(hex(hex)).isUtf8()).isEqualTo(utf8);
    }

    @Test
    void toStringShowsShortTextAndSizeOtherwise() {
      assertThat(Bytes.utf8("abc")).hasToString("\"abc\"");
      assertThat(of(0xFF, 0xFE)).hasToString("Bytes[2]");
      assertThat(Bytes.utf8("x".repeat(65))).hasToString("Bytes[65]");
    }

    private static byte[] hex(String s) {
      byte[] out = new byte[s.length() / 2];
      for (int i = 0; i < out.length; i++) {
        out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
      }
      return out;
    }
  }
}
