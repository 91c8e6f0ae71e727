package dev.cairn.core;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An immutable byte string. Records compare their components with {@code equals}, which for a
 * {@code byte[]} is identity; this type gives value semantics instead.
 */
public final class Bytes implements Comparable<Bytes> {
  public static final Bytes EMPTY = new Bytes(new byte[0]);

  private final byte[] data;
  private int hash;

  private Bytes(byte[] data) {
    this.data = data;
  }

  /** Copies {@code data}; later changes to the array do not affect this value. */
  public static Bytes copyOf(byte[] data) {
    return data.length == 0 ? EMPTY : new Bytes(data.clone());
  }

  /**
   * Takes ownership of {@code data} without copying. The caller must never modify the array again.
   */
  @JsonCreator
  public static Bytes wrap(byte[] data) {
    return data.length == 0 ? EMPTY : new Bytes(data);
  }

  public static Bytes utf8(String s) {
    return wrap(s.getBytes(StandardCharsets.UTF_8));
  }

  public int size() {
    return data.length;
  }

  public byte[] toByteArray() {
    return data.clone();
  }

  /** The backing array, for serializers and I/O only: it must not be modified. */
  @JsonValue
  public byte[] unsafeArray() {
    return data;
  }

  /** True when the bytes are well-formed UTF-8. */
  public boolean isUtf8() {
    return utf8OrNull() != null;
  }

  /** The bytes decoded as UTF-8, or null when they are not well-formed UTF-8; one pass. */
  public String utf8OrNull() {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(data))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  public String utf8String() {
    return new String(data, StandardCharsets.UTF_8);
  }

  @Override
  public int compareTo(Bytes o) {
    return Arrays.compareUnsigned(data, o.data);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes b && Arrays.equals(data, b.data);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = Arrays.hashCode(data);
      hash = h;
    }
    return h;
  }

  @Override
  public String toString() {
    return isUtf8() && data.length <= 64 ? '"' + utf8String() + '"' : "Bytes[" + data.length + "]";
  }
}
