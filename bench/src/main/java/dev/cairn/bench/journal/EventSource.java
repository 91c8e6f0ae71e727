package dev.cairn.bench.journal;

import dev.cairn.persistence.journal.ForcedLog;
import dev.cairn.persistence.journal.ForcedLog.EncodedWrite;
import dev.cairn.persistence.journal.ForcedLog.Event;
import dev.cairn.persistence.journal.ForcedLog.Write;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Single-event atomic writes with ascending sequence numbers per persistence id, spread
 * round-robin.
 */
final class EventSource {
  private final String[] pids;
  private final long[] nextSeq;
  private final byte[] payload;
  private int cursor;

  EventSource(int persistenceIds, int payloadBytes) {
    this(persistenceIds, payloadBytes, "bench");
  }

  EventSource(int persistenceIds, int payloadBytes, String prefix) {
    pids = new String[persistenceIds];
    for (int i = 0; i < persistenceIds; i++) {
      pids[i] = prefix + "-" + i;
    }
    nextSeq = new long[persistenceIds];
    payload = new byte[payloadBytes];
    new Random(7).nextBytes(payload);
  }

  List<EncodedWrite> next(int count) {
    List<EncodedWrite> batch = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int p = cursor;
      cursor = (cursor + 1) % pids.length;
      batch.add(ForcedLog.encode(new Write(pids[p], List.of(new Event(++nextSeq[p], payload)))));
    }
    return batch;
  }
}
