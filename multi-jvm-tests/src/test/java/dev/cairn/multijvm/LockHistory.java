package dev.cairn.multijvm;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The checker of the lock proofs: the contenders' recorded histories ({@link LockContender}), the
 * test's own faults (which process was killed when), and the server's history of the lock's queue
 * and of the counter (read back from a watch from revision 1), checked against the lock's promises.
 *
 * <ul>
 *   <li><b>Never two holders</b>: no two grants share a token; ordered by token, each holder's
 *       observed interval (grant received → release sent, or → the kill) ends before the next
 *       holder received its grant; and every fenced write the server applied at revision W was made
 *       with the token of the queue entry that was first in line at W.
 *   <li><b>Tokens strictly increase</b> in the order grants were received, and in the order the
 *       counter's writes were applied.
 *   <li><b>No lost update</b>: the counter's writes, in revision order, are 1, 2, 3, ... with no
 *       value repeated or skipped; each was a write a holder made (acknowledged, or in doubt
 *       because its process died or got no answer), every acknowledged one is there at its
 *       revision, no refused ({@code fenced}) one is, and the final value is the number of writes.
 *   <li><b>FIFO</b>: every queue entry (in the server's history) was granted to its own lease in
 *       entry order, or left the queue because its owner gave up ({@code timeout}), lost its lease,
 *       or died: no live waiter was passed over.
 *   <li><b>Hand-off after a kill</b>: the grant after a killed holder's was received within the
 *       lease TTL + 1 s of the kill.
 * </ul>
 *
 * Holders whose lease ended while they held the lock (their write was refused or their release
 * found another holder) are not held to the interval check: they did not hold the lock until they
 * released it, which is what fencing is for. Times are {@link System#nanoTime()} of the processes
 * of one machine (one monotonic clock).
 */
final class LockHistory {

  /** One line of a contender's history. */
  record Event(long nanos, String label, int contender, String type, List<String> fields) {
    static Event parse(String line) {
      String[] f = line.split("\t", -1);
      if (f.length < 4) {
        throw new IllegalArgumentException("not a history line: " + line);
      }
      return new Event(
          Long.parseLong(f[0]),
          f[1],
          Integer.parseInt(f[2]),
          f[3],
          List.of(f).subList(4, f.length));
    }

    long num(int i) {
      return Long.parseLong(fields.get(i));
    }
  }

  /** A queue entry of the lock from the server's history; {@code deleted} 0 while it exists. */
  record Entry(String key, long lease, long created, long deleted) {
    boolean aliveAt(long revision) {
      return created <= revision && (deleted == 0 || revision < deleted);
    }
  }

  /** A write of the counter the server applied. */
  record Write(long revision, long count, long token) {}

  /** One grant as its contender saw it. */
  static final class Grant {
    final String label;
    final int contender;
    final long token;
    final long lease;
    final long received;
    long written = -1;
    String writeOutcome = "none";
    long writeRevision;
    long releaseSent = -1;
    String releaseOutcome = "none";

    Grant(String label, int contender, long token, long lease, long received) {
      this.label = label;
      this.contender = contender;
      this.token = token;
      this.lease = lease;
      this.received = received;
    }

    /** The lock was taken from it while it thought it held it (its lease ended). */
    boolean lost() {
      return writeOutcome.equals("fenced") || releaseOutcome.equals("not-holder");
    }

    String who() {
      return label + "/" + contender;
    }

    @Override
    public String toString() {
      return "grant "
          + token
          + " to "
          + who()
          + " (lease "
          + lease
          + ", write "
          + writeOutcome
          + (written > 0 ? " " + written : "")
          + ", release "
          + releaseOutcome
          + ")";
    }
  }

  /** What the check found. */
  record Result(
      List<String> problems,
      int grants,
      int lostGrants,
      int acknowledgedWrites,
      int fencedWrites,
      int inDoubtWrites,
      int appliedWrites,
      int timeouts,
      List<Long> handoffAfterKillMs,
      Map<String, Integer> grantsByProcess) {}

  private final List<Event> events = new ArrayList<>();
  private final Map<String, Long> kills = new HashMap<>();
  private final Set<String> stopped = new HashSet<>();
  private final List<Entry> entries = new ArrayList<>();
  private final List<Write> writes = new ArrayList<>();
  private long ttlSeconds = 1;
  private long finalCount;

  LockHistory ttl(long seconds) {
    ttlSeconds = seconds;
    return this;
  }

  LockHistory events(List<Event> recorded) {
    events.addAll(recorded);
    return this;
  }

  /** Process {@code label} was killed with SIGKILL at {@code nanos}. */
  LockHistory killed(String label, long nanos) {
    kills.put(label, nanos);
    return this;
  }

  /** Process {@code label} was frozen (SIGSTOP) at some point: its leases may have ended. */
  LockHistory stopped(String label) {
    stopped.add(label);
    return this;
  }

  LockHistory entry(String key, long lease, long created, long deleted) {
    entries.add(new Entry(key, lease, created, deleted));
    return this;
  }

  /** The entry {@code key} created last was deleted at {@code revision}. */
  LockHistory deleted(String key, long revision) {
    for (int i = entries.size() - 1; i >= 0; i--) {
      Entry e = entries.get(i);
      if (e.key.equals(key) && e.deleted == 0) {
        entries.set(i, new Entry(e.key, e.lease, e.created, revision));
        return this;
      }
    }
    throw new IllegalArgumentException(key + " deleted at " + revision + " but never created");
  }

  LockHistory write(long revision, long count, long token) {
    writes.add(new Write(revision, count, token));
    return this;
  }

  /** The counter's value read at the end. */
  LockHistory finalCount(long count) {
    finalCount = count;
    return this;
  }

  Result check() {
    List<String> problems = new ArrayList<>();
    List<Grant> grants = grants(problems);
    Map<Long, Grant> byToken = new HashMap<>();
    for (Grant g : grants) {
      Grant other = byToken.put(g.token, g);
      if (other != null) {
        problems.add("two holders with token " + g.token + ": " + other + " and " + g);
      }
    }
    List<Grant> ordered = new ArrayList<>(grants);
    ordered.sort(Comparator.comparingLong(g -> g.token));

    checkIntervals(ordered, problems);
    int[] writeCounts = checkWrites(byToken, problems);
    checkQueue(byToken, problems);
    List<Long> handoffs = checkHandoffs(ordered, problems);

    Map<String, Integer> byProcess = new TreeMap<>();
    grants.forEach(g -> byProcess.merge(g.label, 1, Integer::sum));
    int timeouts = (int) events.stream().filter(e -> e.type.equals("timeout")).count();
    return new Result(
        problems,
        grants.size(),
        (int) grants.stream().filter(Grant::lost).count(),
        writeCounts[0],
        writeCounts[1],
        writeCounts[2],
        writes.size(),
        timeouts,
        handoffs,
        byProcess);
  }

  // ---------------------------------------------------------------- reading the histories

  private List<Grant> grants(List<String> problems) {
    Map<String, Grant> current = new HashMap<>();
    List<Grant> out = new ArrayList<>();
    List<Event> sorted = new ArrayList<>(events);
    sorted.sort(Comparator.comparingLong(Event::nanos)); // one thread's lines are in order already
    for (Event e : sorted) {
      String who = e.label + "/" + e.contender;
      Grant g = current.get(who);
      switch (e.type) {
        case "grant" -> {
          g = new Grant(e.label, e.contender, e.num(0), e.num(1), e.nanos);
          current.put(who, g);
          out.add(g);
        }
        case "write" -> {
          if (g != null) {
            g.written = e.num(1);
          }
        }
        case "ok" -> {
          if (g != null) {
            g.writeOutcome = "ok";
            g.writeRevision = e.num(2);
          }
        }
        case "fenced", "unknown" -> {
          if (g != null) {
            g.writeOutcome = e.type;
          }
        }
        case "release" -> {
          if (g != null) {
            g.releaseSent = e.nanos;
          }
        }
        case "released", "not-holder" -> {
          if (g != null) {
            g.releaseOutcome = e.type;
          }
          current.remove(who);
        }
        case "error" -> problems.add("contender " + who + " reported an error: " + e.fields);
        default -> {}
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- the checks

  /** Ordered by token, a holder's interval ends before the next one's begins. */
  private void checkIntervals(List<Grant> ordered, List<String> problems) {
    Grant prev = null;
    long prevEnd = 0;
    for (Grant g : ordered) {
      if (g.lost()) {
        continue;
      }
      if (prev != null && g.received <= prevEnd) {
        problems.add(
            "two holders at once: "
                + g
                + " was received "
                + (prevEnd - g.received) / 1_000
                + " µs before the end of "
                + prev
                + " (tokens out of order with the grants, or overlapping holds)");
      }
      long end = end(g);
      if (end > prevEnd) {
        prevEnd = end;
        prev = g;
      }
    }
  }

  /** The latest time the contender is known to have still held the lock. */
  private long end(Grant g) {
    if (g.releaseSent > 0) {
      return g.releaseSent;
    }
    Long killed = kills.get(g.label);
    return killed != null ? killed : g.received;
  }

  /**
   * @return acknowledged, fenced and in-doubt write counts as the contenders saw them
   */
  private int[] checkWrites(Map<Long, Grant> byToken, List<String> problems) {
    List<Write> applied = new ArrayList<>(writes);
    applied.sort(Comparator.comparingLong(Write::revision));
    long lastToken = 0;
    Set<Long> appliedTokens = new HashSet<>();
    for (int i = 0; i < applied.size(); i++) {
      Write w = applied.get(i);
      if (w.count != i + 1) {
        problems.add(
            "lost or repeated update: the counter's write #"
                + (i + 1)
                + " at revision "
                + w.revision
                + " wrote "
                + w.count
                + " (token "
                + w.token
                + ")");
      }
      if (w.token <= lastToken) {
        problems.add(
            "the write at revision "
                + w.revision
                + " with token "
                + w.token
                + " was applied after a write with token "
                + lastToken);
      }
      lastToken = Math.max(lastToken, w.token);
      appliedTokens.add(w.token);
      Grant g = byToken.get(w.token);
      if (g == null) {
        if (!inDoubtWithoutGrant(w.token)) {
          problems.add(
              "the write at revision "
                  + w.revision
                  + " has token "
                  + w.token
                  + ", which no contender recorded as granted");
        }
      } else if (g.written != w.count) {
        problems.add(
            "the write at revision "
                + w.revision
                + " wrote "
                + w.count
                + " but "
                + g
                + " meant to write "
                + g.written);
      } else if (g.writeOutcome.equals("ok") && g.writeRevision != w.revision) {
        problems.add(
            g
                + " was acknowledged at revision "
                + g.writeRevision
                + " but applied at "
                + w.revision);
      } else if (g.writeOutcome.equals("fenced")) {
        problems.add(g + " was refused as fenced, yet the server applied it at " + w.revision);
      } else if (g.writeOutcome.equals("none") && !kills.containsKey(g.label)) {
        problems.add(g + " has no recorded answer, yet its process was not killed");
      }
      checkFenceAt(w, problems);
    }
    int acked = 0;
    int fenced = 0;
    int inDoubt = 0;
    for (Grant g : byToken.values()) {
      switch (g.writeOutcome) {
        case "ok" -> {
          acked++;
          if (!appliedTokens.contains(g.token)) {
            problems.add(g + " was acknowledged but the counter's history does not have it");
          }
        }
        case "fenced" -> fenced++;
        case "unknown" -> inDoubt++;
        default -> {
          if (g.written > 0) {
            inDoubt++;
          }
        }
      }
    }
    if (finalCount != applied.size()) {
      problems.add(
          "the counter reads " + finalCount + " but its history has " + applied.size() + " writes");
    }
    return new int[] {acked, fenced, inDoubt};
  }

  /** A write whose grant was never recorded: only a killed process could have made it. */
  private boolean inDoubtWithoutGrant(long token) {
    for (Entry e : entries) {
      if (e.created == token) {
        String owner = owner(e.lease);
        return owner != null && kills.containsKey(owner.substring(0, owner.indexOf('/')));
      }
    }
    return false;
  }

  /** At the write's revision, its token's entry was first in line. */
  private void checkFenceAt(Write w, List<String> problems) {
    if (entries.isEmpty()) {
      return;
    }
    Entry mine = null;
    for (Entry e : entries) {
      if (e.created == w.token) {
        mine = e;
      } else if (e.created < w.token && e.aliveAt(w.revision)) {
        problems.add(
            "the write at revision "
                + w.revision
                + " with token "
                + w.token
                + " was applied while an earlier entry, "
                + e
                + ", was still in the queue");
      }
    }
    if (mine == null || !mine.aliveAt(w.revision)) {
      problems.add(
          "the write at revision "
              + w.revision
              + " with token "
              + w.token
              + " was applied while that token's entry was not in the queue: "
              + mine);
    }
  }

  /** Every queue entry was granted to its own lease, or its owner left the queue. */
  private void checkQueue(Map<Long, Grant> byToken, List<String> problems) {
    if (entries.isEmpty()) {
      return;
    }
    Map<Long, Entry> byCreate = new HashMap<>();
    entries.forEach(e -> byCreate.put(e.created, e));
    for (Grant g : byToken.values()) {
      Entry e = byCreate.get(g.token);
      if (e == null) {
        problems.add(g + " has no queue entry created at revision " + g.token);
      } else if (e.lease != g.lease) {
        problems.add(g + " but the entry created at " + g.token + " belongs to lease " + e.lease);
      }
    }
    Set<String> gaveUp = new HashSet<>();
    for (Event e : events) {
      if (e.type.equals("timeout") || e.type.equals("lease-lost")) {
        gaveUp.add(e.fields.get(0));
      }
    }
    for (Entry e : entries) {
      if (byToken.containsKey(e.created)) {
        continue;
      }
      String owner = owner(e.lease);
      String label = owner == null ? null : owner.substring(0, owner.indexOf('/'));
      boolean left =
          label != null
              && (kills.containsKey(label)
                  || stopped.contains(label)
                  || gaveUp.contains(Long.toString(e.lease)));
      if (!left) {
        problems.add(
            "queue entry "
                + e
                + " of "
                + owner
                + " was never granted, and its owner neither gave up nor died: passed over");
      }
    }
  }

  /** {@code label/contender} of the contender that was granted {@code lease}, or null. */
  private String owner(long lease) {
    for (Event e : events) {
      if (e.type.equals("lease") && e.num(0) == lease) {
        return e.label + "/" + e.contender;
      }
    }
    return null;
  }

  /** The next grant after each killed holder's came within the TTL + 1 s of the kill. */
  private List<Long> checkHandoffs(List<Grant> ordered, List<String> problems) {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < ordered.size(); i++) {
      Grant g = ordered.get(i);
      Long killed = kills.get(g.label);
      if (killed == null || g.releaseSent > 0 || g.received > killed) {
        continue; // not killed while holding
      }
      Grant next = null;
      for (int j = i + 1; j < ordered.size() && next == null; j++) {
        if (!kills.containsKey(ordered.get(j).label)
            || ordered.get(j).received < kills.get(ordered.get(j).label)) {
          next = ordered.get(j);
        }
      }
      if (next == null) {
        problems.add("nobody got the lock after " + g + ", killed while holding it");
        continue;
      }
      long ms = (next.received - killed) / 1_000_000;
      out.add(ms);
      if (ms > ttlSeconds * 1000 + 1000) {
        problems.add(
            "the lock passed from "
                + g
                + ", killed while holding it, to "
                + next
                + " "
                + ms
                + " ms after the kill; the bound is the TTL + 1 s = "
                + (ttlSeconds * 1000 + 1000)
                + " ms");
      }
    }
    return out;
  }
}
