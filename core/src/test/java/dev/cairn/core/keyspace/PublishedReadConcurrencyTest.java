package dev.cairn.core.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Limits;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Published reads from other threads while the owner applies and publishes: every read is neither
 * stale (it shows each write published before the read began) nor early (it shows nothing past the
 * revision it reports), and never breaks on a concurrent append, compaction or growth.
 */
class PublishedReadConcurrencyTest {
  private static final int KEYS = 64;
  private static final int WRITES = 60_000;

  @Test
  void readersSeeEveryPublishedWriteAndNothingUnpublished() throws Exception {
    Keyspace ks = new Keyspace(Limits.DEFAULT);
    KeyspaceState state = KeyspaceState.empty(true);
    // Per key: the revision of its newest write that was published (set after publishing).
    AtomicLongArray publishedWrite = new AtomicLongArray(KEYS);
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicLong answered = new AtomicLong();
    AtomicLong gaveUp = new AtomicLong();
    CountDownLatch finished = new CountDownLatch(3);

    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      int seed = t;
      Thread reader =
          new Thread(
              () -> {
                try {
                  int i = seed;
                  while (!done.get() && failure.get() == null) {
                    int k = Math.floorMod(i++ * 31, KEYS);
                    boolean prefix = i % 7 == 0;
                    long before = publishedWrite.get(k);
                    Read.Range r = prefix ? Read.Range.prefix("k/") : Read.Range.key(key(k));
                    Reply reply = ks.readPublished(state, r);
                    if (reply == null) {
                      gaveUp.incrementAndGet();
                      continue;
                    }
                    Reply.RangeReply range = (Reply.RangeReply) reply;
                    for (KeyValue kv : range.kvs()) {
                      assertThat(kv.modRevision())
                          .as("a read reports revision %d", range.revision())
                          .isLessThanOrEqualTo(range.revision());
                      assertThat(Long.parseLong(kv.value().utf8String()))
                          .isEqualTo(kv.modRevision());
                    }
                    KeyValue mine =
                        range.kvs().stream()
                            .filter(kv -> kv.key().equals(key(k)))
                            .findFirst()
                            .orElse(null);
                    if (before > 0) {
                      assertThat(mine).as("key %d was published at %d", k, before).isNotNull();
                      assertThat(mine.modRevision()).isGreaterThanOrEqualTo(before);
                    }
                    answered.incrementAndGet();
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                } finally {
                  finished.countDown();
                }
              },
              "reader-" + t);
      readers.add(reader);
    }
    Thread writer =
        new Thread(
            () -> {
              try {
                long[] pendingWrite = new long[KEYS];
                for (int w = 0; w < WRITES && failure.get() == null; w++) {
                  int k = (int) Math.floorMod((w * 0x9E3779B1L) >>> 7, (long) KEYS);
                  long rev = state.revision() + 1;
                  Decision d =
                      ks.decide(
                          state, new Command.Put(key(k), Bytes.utf8(Long.toString(rev)), 0, false));
                  for (Event e : ((Decision.Accepted) d).events()) {
                    Keyspace.apply(state, e);
                  }
                  pendingWrite[k] = rev;
                  // Publish in batches, lagging behind, as a leader does after each forced write.
                  if (w % 8 == 7) {
                    state.publish(state.revision());
                    for (int j = 0; j < KEYS; j++) {
                      if (pendingWrite[j] > 0) {
                        publishedWrite.set(j, pendingWrite[j]);
                      }
                    }
                  }
                  if (w % 5000 == 4999) {
                    // Compaction rewrites histories: published reads must step aside, not break.
                    d = ks.decide(state, new Command.Compact(state.revision() - 100));
                    for (Event e : ((Decision.Accepted) d).events()) {
                      Keyspace.apply(state, e);
                    }
                  }
                }
              } catch (Throwable e) {
                failure.compareAndSet(null, e);
              } finally {
                done.set(true);
                finished.countDown();
              }
            },
            "writer");
    readers.forEach(Thread::start);
    writer.start();
    assertThat(finished.await(120, TimeUnit.SECONDS)).isTrue();
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    assertThat(answered.get()).as("published reads answered").isGreaterThan(1000);
  }

  private static String key(int k) {
    return "k/" + k;
  }
}
