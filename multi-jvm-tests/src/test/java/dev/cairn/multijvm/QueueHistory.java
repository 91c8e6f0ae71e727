package dev.cairn.multijvm;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The checker of the queue proof: the producers' and consumers' histories ({@link RecipeWorker})
 * and the server's own history of the queue's {@code items/} and {@code claims/} keys, from
 * revision 1 to the end of the run. Feed it with {@link #events}, {@link #killed}, {@link
 * #itemChange} and {@link #claimChange}, then {@link #check}. It reports:
 *
 * <ul>
 *   <li>loss: an item pushed (answered 201) that the server does not have, or has not deleted by
 *       the end; a push never answered; an item nobody pushed;
 *   <li>double or false acks: an item with more than one ack answered 200; an ack answered 200 that
 *       is not the item's deletion (another revision, another claim's token); an item deleted
 *       without any ack, answered or (by a killed process) in doubt;
 *   <li>claims: a delivery with no claim on the server, or with another item's value; two claims of
 *       one item at once; an item deleted with any claim but its last;
 *   <li>redelivery: an item claimed by a killed consumer taken again before the consumer's lease
 *       could have ended (its last renewal's send time plus the TTL); the delay from the kill to
 *       the next delivery is measured;
 *   <li>order: an item that stays visible overtaken by more claims of later items than there are
 *       consumer threads (each taker can overtake a visible item only with a look begun before it
 *       became visible, one look at a time).
 * </ul>
 */
final class QueueHistory {
  private final List<LockHistory.Event> events = new ArrayList<>();
  private final Map<String, Long> killedAt = new HashMap<>();
  private final TreeMap<Long, ServerItem> items = new TreeMap<>();
  private final Map<Long, List<ServerClaim>> claims = new HashMap<>();
  private final List<String> problems = new ArrayList<>();
  private long ttlNanos = 2_000_000_000L;
  private int consumerThreads = 1;
  private long excluded = -1;

  private static final class ServerItem {
    final long id;
    String value;
    int puts;
    long deleted;
    int deletes;

    ServerItem(long id) {
      this.id = id;
    }
  }

  private static final class ServerClaim {
    final long token;
    long deleted;

    ServerClaim(long token) {
      this.token = token;
    }
  }

  /** The outcome: problems (empty when the history is right) and what was measured. */
  record Result(
      List<String> problems,
      int items,
      int deliveries,
      int acked,
      int ackedInDoubt,
      int redelivered,
      int lateAcks,
      int unrecordedClaims,
      int maxOvertaken,
      List<Long> redeliveryAfterKillMs) {}

  QueueHistory ttl(int seconds) {
    ttlNanos = seconds * 1_000_000_000L;
    return this;
  }

  QueueHistory consumerThreads(int n) {
    consumerThreads = n;
    return this;
  }

  /** An item (the run's end marker) left out of the push and ack checks. */
  QueueHistory exclude(long id) {
    excluded = id;
    return this;
  }

  QueueHistory events(List<LockHistory.Event> es) {
    events.addAll(es);
    return this;
  }

  QueueHistory killed(String label, long nanos) {
    killedAt.put(label, nanos);
    return this;
  }

  /** A change of an {@code items/<id>} key from the server's history. */
  QueueHistory itemChange(long id, boolean put, String value, long revision, long created) {
    ServerItem i = items.computeIfAbsent(id, ServerItem::new);
    if (put) {
      i.puts++;
      i.value = value;
      if (created != id) {
        problems.add("item " + id + " was written at revision " + created + ", not created there");
      }
    } else {
      i.deletes++;
      i.deleted = revision;
    }
    return this;
  }

  /** A change of a {@code claims/<id>} key from the server's history. */
  QueueHistory claimChange(long id, boolean put, long revision, long created) {
    List<ServerClaim> cs = claims.computeIfAbsent(id, k -> new ArrayList<>());
    if (put) {
      if (!cs.isEmpty() && cs.get(cs.size() - 1).deleted == 0) {
        problems.add(
            "item "
                + id
                + " claimed at "
                + created
                + " while its claim of "
                + cs.get(cs.size() - 1).token
                + " still existed");
      }
      cs.add(new ServerClaim(created));
    } else if (cs.isEmpty() || cs.get(cs.size() - 1).deleted != 0) {
      problems.add("a claim of item " + id + " deleted at " + revision + " that did not exist");
    } else {
      cs.get(cs.size() - 1).deleted = revision;
    }
    return this;
  }

  Result check() {
    // ------------------------------------------------------------ the clients' records
    Map<String, LockHistory.Event> pushSent = new HashMap<>();
    Map<Long, List<LockHistory.Event>> acks = new HashMap<>();
    Map<Long, LockHistory.Event> tookByToken = new HashMap<>();
    Map<Long, String> pushedValue = new HashMap<>();
    Map<String, List<LockHistory.Event>> ackSentByItem = new HashMap<>();
    Map<Long, Long> lastRenewSent = new HashMap<>();
    Map<Long, LockHistory.Event> notClaimed = new HashMap<>();
    int deliveries = 0;
    for (LockHistory.Event e : events) {
      switch (e.type()) {
        case "push-sent" -> pushSent.put(e.fields().get(0), e);
        case "pushed" -> {
          pushSent.remove(e.fields().get(0));
          if (pushedValue.put(e.num(1), e.fields().get(0)) != null) {
            problems.add("two pushes answered with item id " + e.num(1));
          }
        }
        case "took" -> {
          deliveries++;
          tookByToken.put(e.num(1), e);
        }
        case "acked" -> acks.computeIfAbsent(e.num(0), k -> new ArrayList<>()).add(e);
        case "ack-sent" ->
            ackSentByItem.computeIfAbsent(e.fields().get(0), k -> new ArrayList<>()).add(e);
        case "not-claimed" -> notClaimed.put(e.num(1), e);
        case "renewed" -> lastRenewSent.merge(e.num(0), e.num(1), Math::max);
        case "error" -> problems.add("a client's error: " + e);
        default -> {}
      }
    }
    for (LockHistory.Event e : pushSent.values()) {
      if (!killedAt.containsKey(e.label())) {
        problems.add("a push never answered: " + e);
      }
    }

    // ------------------------------------------------------------ items: none lost, none invented
    for (Map.Entry<Long, String> p : pushedValue.entrySet()) {
      ServerItem i = items.get(p.getKey());
      if (i == null || i.puts == 0) {
        problems.add("item " + p.getKey() + " (" + p.getValue() + ") pushed but not in the queue");
      } else if (!p.getValue().equals(i.value)) {
        problems.add("item " + p.getKey() + " holds " + i.value + ", pushed as " + p.getValue());
      }
    }
    int acked = 0;
    int inDoubt = 0;
    for (ServerItem i : items.values()) {
      if (i.id == excluded) {
        continue;
      }
      if (!pushedValue.containsKey(i.id)) {
        problems.add("item " + i.id + " (" + i.value + ") in the queue, pushed by nobody");
      }
      if (i.puts != 1) {
        problems.add("item " + i.id + " written " + i.puts + " times");
      }
      if (i.deletes != 1) {
        problems.add(
            "item "
                + i.id
                + " ("
                + i.value
                + ") deleted "
                + i.deletes
                + " times (0: lost, never acked)");
        continue;
      }
      List<ServerClaim> cs = claims.getOrDefault(i.id, List.of());
      ServerClaim last = cs.isEmpty() ? null : cs.get(cs.size() - 1);
      if (last == null || last.deleted != i.deleted) {
        problems.add("item " + i.id + " deleted at " + i.deleted + " without its claim");
        continue;
      }
      for (ServerClaim c : cs.subList(0, cs.size() - 1)) {
        if (c.deleted == 0 || c.deleted >= i.deleted) {
          problems.add("item " + i.id + "'s claim of " + c.token + " outlived the item");
        }
      }
      // ---------------------------------------------------------- exactly one ack
      List<LockHistory.Event> as = acks.getOrDefault(i.id, List.of());
      if (as.size() > 1) {
        problems.add("item " + i.id + " acked " + as.size() + " times: " + as);
      }
      for (LockHistory.Event a : as) {
        if (a.num(1) != last.token || a.num(2) != i.deleted) {
          problems.add(
              "ack "
                  + a
                  + " answered 200 but the item was deleted at "
                  + i.deleted
                  + " with the claim of "
                  + last.token);
        }
      }
      if (as.size() == 1) {
        acked++;
      } else if (as.isEmpty()) {
        boolean doubt =
            ackSentByItem.getOrDefault(Long.toString(i.id), List.of()).stream()
                .anyMatch(s -> s.num(1) == last.token && killedAt.containsKey(s.label()));
        if (doubt) {
          inDoubt++;
        } else {
          problems.add("item " + i.id + " deleted at " + i.deleted + " but acked by nobody");
        }
      }
    }

    // ------------------------------------------------------------ deliveries and redelivery
    for (LockHistory.Event t : tookByToken.values()) {
      long id = t.num(0);
      ServerItem i = items.get(id);
      boolean claimed =
          claims.getOrDefault(id, List.of()).stream().anyMatch(c -> c.token == t.num(1));
      if (!claimed) {
        problems.add("delivery " + t + " has no claim on the server");
      } else if (i == null || !t.fields().get(3).equals(i.value)) {
        problems.add("delivery " + t + " carries another value than item " + id + "'s");
      }
    }
    int redelivered = 0;
    int late = 0;
    int unrecorded = 0;
    List<Long> afterKill = new ArrayList<>();
    for (Map.Entry<Long, List<ServerClaim>> e : claims.entrySet()) {
      List<ServerClaim> cs = e.getValue();
      for (int k = 0; k + 1 < cs.size(); k++) {
        redelivered++;
        ServerClaim c = cs.get(k);
        LockHistory.Event took = tookByToken.get(c.token);
        if (took == null) {
          unrecorded++; // a take that gave up as it claimed, or a taker killed before recording
          continue;
        }
        Long kill = killedAt.get(took.label());
        if (kill == null || took.nanos() > kill) {
          if (notClaimed.containsKey(c.token)) {
            late++; // its lease ended while the taker worked: the late ack was refused
          } else if (kill == null) {
            problems.add("claim " + c.token + " of item " + e.getKey() + " ended under " + took);
          }
          continue;
        }
        // Measured only when a client received the very next claim: a claim nobody reported may
        // be a take that gave up as it claimed, or one still waiting at the server for another
        // killed consumer, whose claim then lasts until that consumer's lease ends too.
        LockHistory.Event next = tookByToken.get(cs.get(k + 1).token);
        if (next == null) {
          continue;
        }
        long lease = took.num(2);
        // The lease lives at least TTL past the sending of its last renewal that was answered.
        long earliest =
            lastRenewSent.containsKey(lease) ? lastRenewSent.get(lease) + ttlNanos : kill;
        if (next.nanos() < earliest) {
          problems.add(
              "item "
                  + e.getKey()
                  + " taken again ("
                  + next
                  + ") "
                  + (earliest - next.nanos()) / 1_000_000
                  + " ms before the killed taker's lease "
                  + lease
                  + " could have ended");
        }
        afterKill.add((next.nanos() - kill) / 1_000_000);
      }
    }

    // ------------------------------------------------------------ order
    // Visibility intervals [from, to) of each item, in revisions; to = Long.MAX_VALUE if never.
    List<long[]> visible = new ArrayList<>(); // {id, from, to}
    List<long[]> claimAt = new ArrayList<>(); // {id, revision}
    for (ServerItem i : items.values()) {
      if (i.puts == 0) {
        continue;
      }
      long from = i.id;
      for (ServerClaim c : claims.getOrDefault(i.id, List.of())) {
        visible.add(new long[] {i.id, from, c.token});
        claimAt.add(new long[] {i.id, c.token});
        from = c.deleted == i.deleted ? Long.MAX_VALUE : c.deleted;
      }
      if (from != Long.MAX_VALUE && from != 0 && i.deletes == 0) {
        visible.add(new long[] {i.id, from, Long.MAX_VALUE});
      }
    }
    int maxOvertaken = 0;
    for (long[] v : visible) {
      int overtaken = 0;
      for (long[] c : claimAt) {
        if (c[0] > v[0] && c[1] > v[1] && c[1] < v[2]) {
          overtaken++;
        }
      }
      maxOvertaken = Math.max(maxOvertaken, overtaken);
      if (overtaken > consumerThreads) {
        problems.add(
            "item "
                + v[0]
                + ", visible from revision "
                + v[1]
                + ", overtaken by "
                + overtaken
                + " claims of later items (at most "
                + consumerThreads
                + " racing takers)");
      }
    }
    afterKill.sort(null);
    return new Result(
        List.copyOf(problems),
        items.size() - (items.containsKey(excluded) ? 1 : 0),
        deliveries,
        acked,
        inDoubt,
        redelivered,
        late,
        unrecorded,
        maxOvertaken,
        afterKill);
  }
}
