package dev.cairn.recipes.election;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Compare;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.CairnException;
import dev.cairn.recipes.fifo.FairQueue;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Leader election with fencing tokens, after etcd's {@code concurrency.Election}.
 *
 * <p>Layout: election {@code name} lives under {@link #prefix(String)}; each candidate is a key
 * {@code <prefix><lease id as 16 hex digits>} bound to its lease, holding the candidate's value.
 * The leader is the key with the lowest create revision; the others wait in create-revision order,
 * each watching only its immediate predecessor's key, so a leader's loss wakes exactly its
 * successor. The queue and its waiting are a {@link FairQueue} with the lock's policy.
 *
 * <p>The leader's fencing token is its key's create revision: it strictly increases with every
 * change of leader (a later leader's key was created after every earlier leader's), and {@link
 * #fence(String, long)} checks it inside a store transaction, as a lock's token is checked.
 * Proclaiming a new value is fenced by it too: the put happens only while the key created at the
 * token still exists, i.e. while its candidate still leads.
 *
 * <p>A leader loses the election when its key is deleted: it resigned, or its lease was revoked or
 * expired. The same lease campaigning again for the same election shares the one key (as etcd does)
 * and sets its value.
 */
public final class Election {
  /** Where every election lives; keys under it are reserved for this recipe. */
  public static final String ROOT = "_cairn/elections/";

  private final CairnClient client;

  public Election(CairnClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /**
   * A leader: {@code fencingToken} is the create revision of {@code key}; {@code revision} is the
   * revision of its current value (its key's mod revision: the campaign or the last proclaim).
   */
  public record Leader(
      String name, String key, long fencingToken, long lease, Bytes value, long revision) {
    static Leader of(String name, KeyValue kv) {
      return new Leader(
          name, kv.key(), kv.createRevision(), kv.lease(), kv.value(), kv.modRevision());
    }
  }

  /** A candidate waiting to lead, since {@code sinceRevision} (its key's create revision). */
  public record Candidate(String key, long lease, long sinceRevision) {}

  /**
   * An election at {@code revision}.
   *
   * @param leader null when nobody leads
   */
  public record State(Leader leader, List<Candidate> candidates, long revision) {
    public State {
      candidates = List.copyOf(candidates);
    }
  }

  /**
   * What an observer sees: the leader as of {@code revision} (null when nobody leads), after a
   * change of leader or of the leader's value.
   */
  public record Observation(Leader leader, long revision) {}

  /**
   * The key prefix of election {@code name}. A name may contain {@code /}: it is escaped ({@code %}
   * as {@code %25}, {@code /} as {@code %2F}) so no election's prefix covers another's keys.
   */
  public static String prefix(String name) {
    return ROOT + name.replace("%", "%25").replace("/", "%2F") + "/";
  }

  /** The candidate key of {@code lease} in election {@code name}. */
  public static String key(String name, long lease) {
    return prefix(name) + String.format("%016x", lease);
  }

  /** The compare that holds while {@code token} still leads election {@code name}. */
  public static Compare fence(String name, long token) {
    return Compare.fence(prefix(name), token);
  }

  /**
   * Campaigns in election {@code name} with {@code value} for {@code lease}, and completes once
   * elected.
   *
   * @param timeout how long to wait; {@link Duration#ZERO} tries once, null waits forever. On
   *     timeout the stage fails with {@code campaign_timeout} and the candidacy is withdrawn.
   * @return the leadership, or a failure: {@code lease_not_found} when the lease does not exist or
   *     ends while waiting
   */
  public CompletionStage<Leader> campaign(String name, long lease, Bytes value, Duration timeout) {
    // Campaigning again with the same lease: the candidacy is shared, its value set.
    return queue(name)
        .acquireSettingValue(lease, value, timeout)
        .thenApply(kv -> Leader.of(name, kv));
  }

  /** The first candidate leads; every other waits for the candidate just ahead of it. */
  static FairQueue.Verdict judge(List<KeyValue> queue, int mine) {
    return mine == 0
        ? new FairQueue.Holds()
        : new FairQueue.Waits(List.of(queue.get(mine - 1)), false);
  }

  private FairQueue queue(String name) {
    return new FairQueue(
        client,
        prefix(name),
        "election " + name,
        Election::judge,
        ErrorCode.CAMPAIGN_TIMEOUT,
        false);
  }

  /**
   * Sets the value of the leader holding {@code token}, atomically with the check that its key
   * (created at {@code token}) still exists.
   *
   * @return the leader with its new value, or a failure: {@code leadership_lost} when the candidacy
   *     of {@code token} is gone (lease ended, or resigned); {@code not_holder} when {@code token}
   *     is a candidate that does not lead yet
   */
  public CompletionStage<Leader> proclaim(String name, long token, Bytes value) {
    return status(name)
        .thenCompose(
            s -> {
              if (s.leader() == null || s.leader().fencingToken() != token) {
                boolean waiting = s.candidates().stream().anyMatch(c -> c.sinceRevision() == token);
                throw waiting ? notHolder(name, token) : lost(name, token);
              }
              Leader l = s.leader();
              return client
                  .txn(
                      new Command.Txn(
                          List.of(createdAt(l.key(), token)),
                          List.of(new Command.Put(l.key(), value, l.lease(), false)),
                          List.of()))
                  .handle(
                      (t, err) -> {
                        if (err != null) {
                          if (CairnException.codeOf(err) == ErrorCode.LEASE_NOT_FOUND) {
                            throw lost(name, token); // expired between the read and the put
                          }
                          throw err instanceof RuntimeException e
                              ? e
                              : new CompletionException(err);
                        }
                        if (!t.succeeded()) {
                          throw lost(name, token);
                        }
                        return new Leader(name, l.key(), token, l.lease(), value, t.revision());
                      });
            });
  }

  /**
   * Resigns the leadership held with {@code token}: deletes the leader's key atomically with the
   * check that it is the one created at {@code token}, which elects the next candidate. Fails with
   * {@code not_holder} (nothing changed) when {@code token} does not lead.
   */
  public CompletionStage<Void> resign(String name, long token) {
    return queue(name).release(token).thenApply(kv -> null);
  }

  /** The leader and the waiting candidates of election {@code name}, in order. */
  public CompletionStage<State> status(String name) {
    return queue(name)
        .status()
        .thenApply(
            s ->
                new State(
                    s.holders().isEmpty() ? null : Leader.of(name, s.holders().get(0)),
                    s.waiters().stream()
                        .map(kv -> new Candidate(kv.key(), kv.lease(), kv.createRevision()))
                        .toList(),
                    s.revision()));
  }

  /**
   * Observes election {@code name}: {@code listener} gets the current leader (or none) first, then
   * every change of leader and every proclaimed value, in revision order, each once, until the
   * handle is cancelled. Built on one prefix watch: each change of a candidate key is applied to a
   * copy of the election, and an observation is sent whenever its leader (key, token or value
   * revision) differs from the last one sent. A watch that cannot go on ends with {@code onError}.
   */
  public CairnClient.Watch observe(
      String name, Consumer<Observation> listener, Consumer<Throwable> onError) {
    AtomicReference<CairnClient.Watch> watch = new AtomicReference<>();
    AtomicBoolean cancelled = new AtomicBoolean();
    client
        .prefix(prefix(name))
        .whenComplete(
            (r, err) -> {
              if (err != null) {
                if (!cancelled.get()) {
                  onError.accept(err);
                }
                return;
              }
              Observer o = new Observer(name, r.kvs(), listener, cancelled);
              o.send(r.revision());
              CairnClient.Watch w =
                  client.watchPrefix(prefix(name), r.revision() + 1, o::apply, onError);
              watch.set(w);
              if (cancelled.get()) {
                w.cancel();
              }
            });
    return () -> {
      cancelled.set(true);
      CairnClient.Watch w = watch.getAndSet(null);
      if (w != null) {
        w.cancel();
      }
    };
  }

  /** An observer's copy of an election's candidate keys; its watch calls it one event at a time. */
  private static final class Observer {
    final String name;
    final Map<String, KeyValue> candidates = new HashMap<>();
    final Consumer<Observation> listener;
    final AtomicBoolean cancelled;
    Leader last;
    boolean sent;

    Observer(
        String name, List<KeyValue> kvs, Consumer<Observation> listener, AtomicBoolean cancelled) {
      this.name = name;
      kvs.forEach(kv -> candidates.put(kv.key(), kv));
      this.listener = listener;
      this.cancelled = cancelled;
    }

    synchronized void apply(WatchEvent e) {
      if (e.type() == WatchEvent.Type.PUT) {
        candidates.put(e.kv().key(), e.kv());
      } else {
        candidates.remove(e.kv().key());
      }
      send(e.revision());
    }

    synchronized void send(long revision) {
      KeyValue first =
          candidates.values().stream()
              .min(Comparator.comparingLong(KeyValue::createRevision))
              .orElse(null);
      Leader now = first == null ? null : Leader.of(name, first);
      boolean changed =
          !sent
              || (now == null
                  ? last != null
                  : last == null
                      || last.fencingToken() != now.fencingToken()
                      || last.revision() != now.revision());
      if (changed && !cancelled.get()) {
        sent = true;
        last = now;
        listener.accept(new Observation(now, revision));
      }
    }
  }

  private static Compare createdAt(String key, long createRevision) {
    return Compare.number(key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, createRevision);
  }

  private static CairnException notHolder(String name, long token) {
    return new CairnException(
        ErrorCode.NOT_HOLDER, "token " + token + " does not lead election " + name);
  }

  private static CairnException lost(String name, long token) {
    return new CairnException(
        ErrorCode.LEADERSHIP_LOST,
        "the candidacy of token "
            + token
            + " in election "
            + name
            + " is gone (its lease ended, or it resigned)");
  }
}
