package dev.cairn.persistence.snapshot;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Name and content format of one snapshot file, version 1. Big-endian.
 *
 * <pre>
 * name    = "snapshot-" encodedPid "-" seqNr "-" timestamp ".snap"
 * content = magic:u32 "CRNS" | version:u32 | pid:utf | seqNr:u64 | timestamp:u64
 *           | blob (snapshot) | hasMetadata:u8 | [blob (metadata)] | crc32c:u32 over all preceding bytes
 * blob    = serializerId:u32 | manifest:utf | length:u32 | bytes
 * </pre>
 *
 * The encoded pid keeps {@code [A-Za-z0-9_.]} and percent-escapes every other UTF-8 byte (so it
 * never contains {@code -}); over-long ids are shortened and suffixed with {@code ~} and a hash,
 * and the file's own pid field is authoritative.
 */
final class SnapshotFile {

  static final String PREFIX = "snapshot-";
  static final String SUFFIX = ".snap";
  static final String TEMP_PREFIX = "tmp-";
  static final String TEMP_SUFFIX = ".tmp";
  private static final int MAGIC = 0x43524E53; // "CRNS"
  private static final int VERSION = 1;
  private static final int MAX_ENCODED_PID = 150;

  private SnapshotFile() {}

  /** Serialized form of an object: which serializer, its manifest, and the bytes. */
  record Blob(int serializerId, String manifest, byte[] bytes) {}

  /** What a snapshot file holds. */
  record Content(
      String persistenceId,
      long sequenceNr,
      long timestamp,
      Blob snapshot,
      Optional<Blob> metadata) {}

  /** Identity of a snapshot file, parsed from its name. */
  record Name(String encodedPid, long sequenceNr, long timestamp) {
    String fileName() {
      return PREFIX + encodedPid + "-" + sequenceNr + "-" + timestamp + SUFFIX;
    }
  }

  static String encodePid(String pid) {
    StringBuilder sb = new StringBuilder();
    for (byte b : pid.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xFF);
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '_'
          || c == '.') {
        sb.append(c);
      } else {
        sb.append('%').append(HexFormat.of().withUpperCase().toHexDigits(b));
      }
    }
    if (sb.length() <= MAX_ENCODED_PID) {
      return sb.toString();
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(pid.getBytes(StandardCharsets.UTF_8));
      return sb.substring(0, 100) + "~" + HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses a snapshot file name, or empty for any other file (temp files included). */
  static Optional<Name> parse(Path file) {
    String n = file.getFileName().toString();
    if (!n.startsWith(PREFIX) || !n.endsWith(SUFFIX)) {
      return Optional.empty();
    }
    String[] parts = n.substring(PREFIX.length(), n.length() - SUFFIX.length()).split("-", -1);
    if (parts.length != 3 || parts[0].isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Name(parts[0], Long.parseLong(parts[1]), Long.parseLong(parts[2])));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * A snapshot file's content in three parts, in order: the bytes before the snapshot's own bytes,
   * the snapshot's bytes (not copied), and the rest up to and including the CRC.
   */
  record Encoded(byte[] head, byte[] snapshot, byte[] tail) {
    long length() {
      return (long) head.length + snapshot.length + tail.length;
    }
  }

  static Encoded encode(Content c) {
    try {
      ByteArrayOutputStream headBytes = new ByteArrayOutputStream(256);
      DataOutputStream head = new DataOutputStream(headBytes);
      head.writeInt(MAGIC);
      head.writeInt(VERSION);
      writeString(head, c.persistenceId());
      head.writeLong(c.sequenceNr());
      head.writeLong(c.timestamp());
      writeBlobHeader(head, c.snapshot());
      ByteArrayOutputStream tailBytes = new ByteArrayOutputStream(64);
      DataOutputStream tail = new DataOutputStream(tailBytes);
      tail.writeBoolean(c.metadata().isPresent());
      if (c.metadata().isPresent()) {
        writeBlobHeader(tail, c.metadata().get());
        tail.write(c.metadata().get().bytes());
      }
      byte[] headArray = headBytes.toByteArray();
      CRC32C crc = new CRC32C();
      crc.update(headArray);
      crc.update(c.snapshot().bytes());
      crc.update(tailBytes.toByteArray());
      tail.writeInt((int) crc.getValue());
      return new Encoded(headArray, c.snapshot().bytes(), tailBytes.toByteArray());
    } catch (IOException e) {
      throw new IllegalStateException("in-memory write failed", e);
    }
  }

  /** Decodes and verifies a snapshot file's bytes; throws IOException describing any damage. */
  static Content decode(byte[] data) throws IOException {
    if (data.length < 12) {
      throw new IOException("file too short (" + data.length + " bytes)");
    }
    CRC32C crc = new CRC32C();
    crc.update(data, 0, data.length - 4);
    if ((int) crc.getValue() != ByteBuffer.wrap(data).getInt(data.length - 4)) {
      throw new IOException("CRC mismatch");
    }
    DataInputStream in =
        new DataInputStream(new java.io.ByteArrayInputStream(data, 0, data.length - 4));
    try {
      int magic = in.readInt();
      if (magic != MAGIC) {
        throw new IOException(String.format("bad magic 0x%08x, not a Cairn snapshot", magic));
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IOException(
            "unsupported snapshot format version "
                + version
                + " (this build reads "
                + VERSION
                + ")");
      }
      String pid = readString(in);
      long seq = in.readLong();
      long ts = in.readLong();
      Blob snapshot = readBlob(in);
      Optional<Blob> metadata = in.readBoolean() ? Optional.of(readBlob(in)) : Optional.empty();
      if (in.available() != 0) {
        throw new IOException(in.available() + " trailing bytes");
      }
      return new Content(pid, seq, ts, snapshot, metadata);
    } catch (EOFException e) {
      throw new IOException("truncated content", e);
    }
  }

  /** A blob up to its bytes, which follow it. */
  private static void writeBlobHeader(DataOutputStream out, Blob b) throws IOException {
    out.writeInt(b.serializerId());
    writeString(out, b.manifest());
    out.writeInt(b.bytes().length);
  }

  private static Blob readBlob(DataInputStream in) throws IOException {
    int id = in.readInt();
    String manifest = readString(in);
    int len = in.readInt();
    if (len < 0 || len > in.available()) {
      throw new IOException("blob length " + len + " overruns the file");
    }
    return new Blob(id, manifest, in.readNBytes(len));
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    int len = in.readInt();
    if (len < 0 || len > in.available()) {
      throw new IOException("string length " + len + " overruns the file");
    }
    return new String(in.readNBytes(len), StandardCharsets.UTF_8);
  }
}
