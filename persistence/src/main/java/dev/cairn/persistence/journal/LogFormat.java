package dev.cairn.persistence.journal;

import dev.cairn.persistence.journal.ForcedLog.Event;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The journal's on-disk format, version 1. Big-endian throughout.
 *
 * <pre>
 * segment  = header record*
 * header   = magic:u32 "CRNW" | version:u32 | segmentIndex:u64                      (16 bytes)
 * record   = length:u32 | crc32c:u32 | payload[length]    crc covers length bytes + payload
 * payload  = EVENTS | DELETE | STATE
 * EVENTS   = 0x01 | pidLen:u16 | pid:utf8 | count:u32 | (seqNr:u64 | len:u32 | bytes[len])*count
 * DELETE   = 0x02 | pidLen:u16 | pid:utf8 | toSeqNr:u64
 * STATE    = 0x03 | pidLen:u16 | pid:utf8 | deletedTo:u64 | highestSeqNr:u64
 * </pre>
 *
 * One EVENTS record holds one atomic write, so a torn record drops the atomic write whole. STATE
 * carries a persistence id's counters forward when the segments that established them are
 * reclaimed.
 */
final class LogFormat {

  static final int MAGIC = 0x43524E57; // "CRNW"
  static final int VERSION = 1;
  static final int SEGMENT_HEADER_SIZE = 16;
  static final int FRAME_HEADER_SIZE = 8;
  static final byte TYPE_EVENTS = 1;
  static final byte TYPE_DELETE = 2;
  static final byte TYPE_STATE = 3;

  /** Smallest legal payload: a DELETE with an empty persistence id. */
  static final int MIN_PAYLOAD = 1 + 2 + 8;

  /** Hard cap on one record; also what recovery treats as an impossible length. */
  static final int MAX_PAYLOAD = 1 << 30;

  static final int MAX_PID_BYTES = 0xFFFF;

  private LogFormat() {}

  /** What a record says, without copying event bodies when only the index is being rebuilt. */
  record Summary(
      byte type, String persistenceId, long firstSeqNr, long lastSeqNr, int eventCount) {}

  static ByteBuffer segmentHeader(long segmentIndex) {
    ByteBuffer b = ByteBuffer.allocate(SEGMENT_HEADER_SIZE);
    b.putInt(MAGIC).putInt(VERSION).putLong(segmentIndex).flip();
    return b;
  }

  static byte[] encodeEvents(String persistenceId, List<Event> events) {
    byte[] pid = pidBytes(persistenceId);
    long size = 1 + 2 + pid.length + 4L;
    for (Event e : events) {
      size += 8 + 4 + e.bytes().length;
    }
    if (size > MAX_PAYLOAD) {
      throw new IllegalArgumentException(
          "atomic write of "
              + size
              + " bytes for "
              + persistenceId
              + " exceeds the journal's record limit of "
              + MAX_PAYLOAD
              + " bytes");
    }
    ByteBuffer b = ByteBuffer.allocate(FRAME_HEADER_SIZE + (int) size);
    b.position(FRAME_HEADER_SIZE);
    b.put(TYPE_EVENTS).putShort((short) pid.length).put(pid).putInt(events.size());
    for (Event e : events) {
      b.putLong(e.sequenceNr()).putInt(e.bytes().length).put(e.bytes());
    }
    return seal(b);
  }

  static byte[] encodeDelete(String persistenceId, long toSequenceNr) {
    byte[] pid = pidBytes(persistenceId);
    ByteBuffer b = ByteBuffer.allocate(FRAME_HEADER_SIZE + 1 + 2 + pid.length + 8);
    b.position(FRAME_HEADER_SIZE);
    b.put(TYPE_DELETE).putShort((short) pid.length).put(pid).putLong(toSequenceNr);
    return seal(b);
  }

  static byte[] encodeState(String persistenceId, long deletedTo, long highestSeqNr) {
    byte[] pid = pidBytes(persistenceId);
    ByteBuffer b = ByteBuffer.allocate(FRAME_HEADER_SIZE + 1 + 2 + pid.length + 16);
    b.position(FRAME_HEADER_SIZE);
    b.put(TYPE_STATE)
        .putShort((short) pid.length)
        .put(pid)
        .putLong(deletedTo)
        .putLong(highestSeqNr);
    return seal(b);
  }

  private static byte[] seal(ByteBuffer b) {
    byte[] frame = b.array();
    int length = frame.length - FRAME_HEADER_SIZE;
    ByteBuffer.wrap(frame).putInt(0, length).putInt(4, crc(frame, 0, length));
    return frame;
  }

  private static byte[] pidBytes(String persistenceId) {
    byte[] pid = persistenceId.getBytes(StandardCharsets.UTF_8);
    if (pid.length > MAX_PID_BYTES) {
      throw new IllegalArgumentException("persistence id longer than " + MAX_PID_BYTES + " bytes");
    }
    return pid;
  }

  /**
   * CRC32C over the 4 length bytes at {@code frameStart} followed by {@code length} payload bytes.
   */
  static int crc(byte[] buf, int frameStart, int length) {
    CRC32C c = new CRC32C();
    c.update(buf, frameStart, 4);
    c.update(buf, frameStart + FRAME_HEADER_SIZE, length);
    return (int) c.getValue();
  }

  static boolean plausibleLength(int length) {
    return length >= MIN_PAYLOAD && length <= MAX_PAYLOAD;
  }

  /**
   * Checks that {@code buf[off..]} holds one complete, CRC-valid frame and returns its summary, or
   * null if not.
   */
  static Summary checkFrame(byte[] buf, int off, int available) {
    if (available < FRAME_HEADER_SIZE) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(buf);
    int length = b.getInt(off);
    if (!plausibleLength(length) || length > available - FRAME_HEADER_SIZE) {
      return null;
    }
    byte type = buf[off + FRAME_HEADER_SIZE];
    if (type != TYPE_EVENTS && type != TYPE_DELETE && type != TYPE_STATE) {
      return null;
    }
    if (b.getInt(off + 4) != crc(buf, off, length)) {
      return null;
    }
    try {
      return summarize(ByteBuffer.wrap(buf, off + FRAME_HEADER_SIZE, length).slice());
    } catch (RuntimeException malformed) {
      return null;
    }
  }

  /**
   * Summarizes a CRC-checked payload; throws if its structure is inconsistent. For DELETE both
   * sequence numbers are the deleted-to mark; for STATE they are deleted-to and highest.
   */
  static Summary summarize(ByteBuffer payload) {
    byte type = payload.get();
    String pid = readPid(payload);
    if (type == TYPE_DELETE) {
      long to = payload.getLong();
      requireEnd(payload);
      return new Summary(type, pid, to, to, 0);
    }
    if (type == TYPE_STATE) {
      long deletedTo = payload.getLong();
      long highest = payload.getLong();
      requireEnd(payload);
      return new Summary(type, pid, deletedTo, highest, 0);
    }
    if (type != TYPE_EVENTS) {
      throw new IllegalStateException("unknown record type " + type);
    }
    int count = payload.getInt();
    if (count <= 0) {
      throw new IllegalStateException("atomic write without events");
    }
    long first = 0;
    long last = 0;
    for (int i = 0; i < count; i++) {
      long seq = payload.getLong();
      int len = payload.getInt();
      if (len < 0 || len > payload.remaining()) {
        throw new IllegalStateException("event length " + len + " overruns record");
      }
      payload.position(payload.position() + len);
      if (i == 0) {
        first = seq;
      } else if (seq <= last) {
        throw new IllegalStateException("sequence numbers not ascending within a record");
      }
      last = seq;
    }
    requireEnd(payload);
    return new Summary(type, pid, first, last, count);
  }

  static List<Event> decodeEvents(ByteBuffer payload) {
    byte type = payload.get();
    if (type != TYPE_EVENTS) {
      throw new IllegalStateException("expected an events record, found type " + type);
    }
    readPid(payload);
    int count = payload.getInt();
    List<Event> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long seq = payload.getLong();
      byte[] bytes = new byte[payload.getInt()];
      payload.get(bytes);
      events.add(new Event(seq, bytes));
    }
    return events;
  }

  private static String readPid(ByteBuffer payload) {
    int len = Short.toUnsignedInt(payload.getShort());
    if (len > payload.remaining()) {
      throw new IllegalStateException("persistence id overruns record");
    }
    String pid =
        new String(
            payload.array(),
            payload.arrayOffset() + payload.position(),
            len,
            StandardCharsets.UTF_8);
    payload.position(payload.position() + len);
    return pid;
  }

  private static void requireEnd(ByteBuffer payload) {
    if (payload.hasRemaining()) {
      throw new IllegalStateException(payload.remaining() + " trailing bytes in record");
    }
  }
}
