package dev.cairn.recipes.services;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Compare;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.CairnException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Service discovery with health checks, after Consul's catalog: instances of named services, each
 * with TTL and HTTP checks, kept in the keyspace of one namespace.
 *
 * <p>Layout, all under {@link #ROOT}{@code <service>/<instance id>/}:
 *
 * <ul>
 *   <li>{@code instance}: the {@link Registration} (JSON), bound to the registration's lease if it
 *       names one;
 *   <li>{@code check/<n>}: the {@link CheckState} of check n, bound to the same lease, written only
 *       when the check's status (or a TTL report's output) changes;
 *   <li>{@code ttl/<n>}: for a TTL check that is passing or warning, an empty key bound to a lease
 *       of the check's TTL. A report renews that lease (no write); when no report comes, the lease
 *       expires, the key goes, and the {@link HealthChecker} marks the check critical.
 * </ul>
 *
 * <p>Every instance's keys share one prefix, so an instance is read, replaced or removed in one
 * transaction, and a service's instances and their states are one prefix read at one revision.
 * Service names and instance ids are 1–128 characters of {@code [A-Za-z0-9._-]}, starting with a
 * letter or digit, so no name's prefix covers another's keys.
 *
 * <p>Checks start {@code critical} (as Consul's do) until the first passing probe or report. Status
 * changes made here (reports) and by the checker are transactions that compare the instance's
 * create revision and the check key's mod revision, so a change never applies to a replaced
 * instance or over a newer state.
 */
public final class ServiceRegistry {
  /** Where every service lives; keys under it are reserved for this recipe. */
  public static final String ROOT = "_cairn/services/";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  /** Attempts of a read-then-write that lost a race to a concurrent change. */
  private static final int ATTEMPTS = 8;

  static final ObjectMapper JSON =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .serializationInclusion(JsonInclude.Include.NON_NULL)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private final CairnClient client;
  private final Clock clock;

  public ServiceRegistry(CairnClient client, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public ServiceRegistry(CairnClient client) {
    this(client, Clock.systemUTC());
  }

  // ------------------------------------------------------------------ values

  /** A check's or an instance's health, worst last. */
  public enum Status {
    PASSING,
    WARNING,
    CRITICAL;

    @JsonValue
    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The status named {@code s}; {@code invalid_argument} otherwise. */
    @JsonCreator
    public static Status of(String s) {
      for (Status v : values()) {
        if (v.wire().equals(s)) {
          return v;
        }
      }
      throw new CairnException(
          ErrorCode.INVALID_ARGUMENT,
          "status must be passing, warning or critical, not "
              + (s == null ? "null" : "'" + s + "'"));
    }

    public Status worst(Status o) {
      return compareTo(o) >= 0 ? this : o;
    }
  }

  /** A check as registered. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Ttl.class, name = "ttl"),
    @JsonSubTypes.Type(value = Http.class, name = "http")
  })
  public sealed interface Check permits Ttl, Http {}

  /** Passing while reports arrive at least every {@code ttlMs}; critical when one is missed. */
  public record Ttl(long ttlMs) implements Check {
    /** The TTL as a lease's, in whole seconds (leases have a granularity of one second). */
    public long leaseSeconds() {
      return Math.max(1, (ttlMs + 999) / 1000);
    }
  }

  /**
   * Probed every {@code intervalMs}: an answer within {@code timeoutMs} with a 2xx status is
   * passing, 429 warning, anything else or no answer critical.
   */
  public record Http(String url, long intervalMs, long timeoutMs) implements Check {}

  /**
   * An instance as registered.
   *
   * @param deregisterAfterMs remove the instance once a check has been critical this long; 0 never
   * @param lease the lease the instance's keys are bound to; 0 for none
   */
  public record Registration(
      String address,
      int port,
      List<String> tags,
      Map<String, String> meta,
      List<Check> checks,
      long deregisterAfterMs,
      long lease) {
    public Registration {
      tags = List.copyOf(tags);
      meta = Map.copyOf(meta);
      checks = List.copyOf(checks);
    }
  }

  /**
   * A check's state.
   *
   * @param sinceMs wall-clock time (epoch ms) when the check entered {@code status}
   * @param ttlLease for a TTL check, the lease of its {@code ttl/<n>} key; 0 when it has none
   */
  public record CheckState(Status status, String output, long sinceMs, long ttlLease) {}

  /** One check of an instance: its definition and its state. */
  public record CheckView(int index, Check check, CheckState state) {}

  /** An instance as read, its {@code status} the worst of its checks' (passing with none). */
  public record Instance(
      String service,
      String id,
      Registration registration,
      List<CheckView> checks,
      Status status,
      long createRevision,
      long modRevision) {}

  /** A service's instances, in id order, at {@code revision}. */
  public record Listing(long revision, List<Instance> instances) {}

  /** The names of the services that have instances, in order, at {@code revision}. */
  public record Names(long revision, List<String> names) {}

  // ------------------------------------------------------------------ layout

  /** Refuses a service name or instance id that is not 1–128 of {@code [A-Za-z0-9._-]}. */
  public static String checkName(String what, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new CairnException(
          ErrorCode.INVALID_ARGUMENT,
          what
              + " must be 1 to 128 characters of A-Z a-z 0-9 . _ - starting with a letter or"
              + " digit, not '"
              + name
              + "'");
    }
    return name;
  }

  public static String servicePrefix(String service) {
    return ROOT + service + "/";
  }

  public static String instancePrefix(String service, String id) {
    return servicePrefix(service) + id + "/";
  }

  public static String instanceKey(String service, String id) {
    return instancePrefix(service, id) + "instance";
  }

  public static String checkKey(String service, String id, int n) {
    return instancePrefix(service, id) + "check/" + n;
  }

  /** Whether {@code key} is one of {@link #checkKey}'s: a check's state. */
  public static boolean isCheckKey(String key) {
    return key.startsWith(ROOT) && key.contains("/check/");
  }

  public static String ttlKey(String service, String id, int n) {
    return instancePrefix(service, id) + "ttl/" + n;
  }

  /** What a key under {@link #ROOT} is; null for a key this recipe does not write. */
  public record KeyPath(String service, String id, Kind kind, int check) {
    public enum Kind {
      INSTANCE,
      CHECK,
      TTL
    }

    public static KeyPath of(String key) {
      if (!key.startsWith(ROOT)) {
        return null;
      }
      String[] p = key.substring(ROOT.length()).split("/", -1);
      if (p.length == 3 && p[2].equals("instance")) {
        return new KeyPath(p[0], p[1], Kind.INSTANCE, -1);
      }
      if (p.length == 4 && (p[2].equals("check") || p[2].equals("ttl"))) {
        try {
          return new KeyPath(
              p[0], p[1], p[2].equals("check") ? Kind.CHECK : Kind.TTL, Integer.parseInt(p[3]));
        } catch (NumberFormatException e) {
          return null;
        }
      }
      return null;
    }
  }

  static Bytes encode(Object o) {
    try {
      return Bytes.wrap(JSON.writeValueAsBytes(o));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A stored check state. */
  public static CheckState decodeState(Bytes b) {
    return decode(b, CheckState.class);
  }

  static <T> T decode(Bytes b, Class<T> type) {
    try {
      return JSON.readValue(b.unsafeArray(), type);
    } catch (IOException e) {
      throw new UncheckedIOException("a stored " + type.getSimpleName() + " cannot be read", e);
    }
  }

  /**
   * The instances among {@code kvs} (keys under {@link #ROOT}), in service and id order. An
   * instance's check without a state is critical.
   */
  public static List<Instance> instances(List<KeyValue> kvs) {
    Map<String, KeyValue> byKey = new TreeMap<>();
    for (KeyValue kv : kvs) {
      byKey.put(kv.key(), kv);
    }
    List<Instance> out = new ArrayList<>();
    for (KeyValue kv : byKey.values()) {
      KeyPath p = KeyPath.of(kv.key());
      if (p != null && p.kind() == KeyPath.Kind.INSTANCE) {
        out.add(instance(p.service(), p.id(), kv, byKey::get));
      }
    }
    return out;
  }

  /** The instance whose instance key is {@code kv}; other keys looked up in {@code keys}. */
  public static Instance instance(
      String service, String id, KeyValue kv, java.util.function.Function<String, KeyValue> keys) {
    Registration reg = decode(kv.value(), Registration.class);
    List<CheckView> checks = new ArrayList<>();
    Status status = Status.PASSING;
    for (int n = 0; n < reg.checks().size(); n++) {
      KeyValue st = keys.apply(checkKey(service, id, n));
      CheckState state =
          st == null
              ? new CheckState(Status.CRITICAL, "no state", 0, 0)
              : decode(st.value(), CheckState.class);
      checks.add(new CheckView(n, reg.checks().get(n), state));
      status = status.worst(state.status());
    }
    return new Instance(service, id, reg, checks, status, kv.createRevision(), kv.modRevision());
  }

  // ------------------------------------------------------------------ operations

  /**
   * Registers (or replaces) instance {@code id} of {@code service}; its checks start critical.
   * Fails with {@code lease_not_found} when the registration's lease does not exist.
   *
   * @return the revision of the registration
   */
  public CompletionStage<Long> register(String service, String id, Registration reg) {
    checkName("service name", service);
    checkName("instance id", id);
    String prefix = instancePrefix(service, id);
    String instanceKey = instanceKey(service, id);
    return retrying(
        () ->
            client
                .prefix(prefix)
                .thenCompose(
                    r -> {
                      KeyValue old = find(r.kvs(), instanceKey);
                      Set<String> written = new HashSet<>();
                      written.add(instanceKey);
                      // The check states first: a watcher that applies changes one at a time has
                      // them when it reads the new registration.
                      List<Command.TxnOp> ops = new ArrayList<>();
                      long now = clock.millis();
                      for (int n = 0; n < reg.checks().size(); n++) {
                        String k = checkKey(service, id, n);
                        written.add(k);
                        CheckState first =
                            new CheckState(
                                Status.CRITICAL, initialOutput(reg.checks().get(n)), now, 0);
                        ops.add(new Command.Put(k, encode(first), reg.lease(), false));
                      }
                      ops.add(new Command.Put(instanceKey, encode(reg), reg.lease(), false));
                      for (KeyValue kv : r.kvs()) {
                        if (!written.contains(kv.key())) {
                          ops.add(Command.Delete.key(kv.key()));
                        }
                      }
                      return client.txn(
                          new Command.Txn(List.of(unchanged(instanceKey, old)), ops, List.of()));
                    }));
  }

  private static String initialOutput(Check c) {
    if (c instanceof Ttl) {
      return "no report yet";
    } else if (c instanceof Http) {
      return "not probed yet";
    }
    throw new IllegalStateException("unhandled " + c);
  }

  /**
   * Removes instance {@code id} of {@code service} and its check states; {@code instance_not_found}
   * when it is not registered.
   *
   * @return the revision of the removal
   */
  public CompletionStage<Long> deregister(String service, String id) {
    checkName("service name", service);
    checkName("instance id", id);
    String instanceKey = instanceKey(service, id);
    return retrying(
        () ->
            client
                .prefix(instancePrefix(service, id))
                .thenCompose(
                    r -> {
                      KeyValue inst = find(r.kvs(), instanceKey);
                      if (inst == null) {
                        throw notFound(service, id);
                      }
                      return client.txn(
                          new Command.Txn(
                              List.of(sameInstance(inst)),
                              List.of(Command.Delete.prefix(instancePrefix(service, id))),
                              List.of()));
                    }));
  }

  /**
   * A report for every TTL check of instance {@code id}: renews each check's TTL and sets its
   * status. Writes only when a status or output changes or a TTL has to start again (it had
   * passed); otherwise a report costs one lease renewal per TTL check and no write.
   *
   * @return the revision the instance's state has after the report
   */
  public CompletionStage<Long> report(String service, String id, Status status, String output) {
    checkName("service name", service);
    checkName("instance id", id);
    Objects.requireNonNull(status, "status");
    String instanceKey = instanceKey(service, id);
    return retrying(
        () ->
            client
                .prefix(instancePrefix(service, id))
                .thenCompose(
                    r -> {
                      KeyValue inst = find(r.kvs(), instanceKey);
                      if (inst == null) {
                        throw notFound(service, id);
                      }
                      Registration reg = decode(inst.value(), Registration.class);
                      List<CompletableFuture<TtlPlan>> plans = new ArrayList<>();
                      for (int n = 0; n < reg.checks().size(); n++) {
                        if (reg.checks().get(n) instanceof Ttl ttl) {
                          plans.add(
                              plan(service, id, n, ttl, r.kvs(), status, output)
                                  .toCompletableFuture());
                        }
                      }
                      if (plans.isEmpty()) {
                        throw new CairnException(
                            ErrorCode.INVALID_ARGUMENT,
                            "instance " + id + " of service " + service + " has no TTL check");
                      }
                      return CompletableFuture.allOf(plans.toArray(CompletableFuture[]::new))
                          .thenCompose(v -> apply(inst, plans, r.revision()));
                    }));
  }

  /** What a report does to one TTL check. */
  private record TtlPlan(
      List<Compare> compares, List<Command.TxnOp> ops, long newLease, boolean write) {}

  private CompletionStage<TtlPlan> plan(
      String service, String id, int n, Ttl ttl, List<KeyValue> kvs, Status status, String output) {
    KeyValue stateKv = find(kvs, checkKey(service, id, n));
    KeyValue marker = find(kvs, ttlKey(service, id, n));
    CheckState old = stateKv == null ? null : decode(stateKv.value(), CheckState.class);
    long leaseOfKeys = find(kvs, instanceKey(service, id)).lease();
    List<Compare> compares = new ArrayList<>();
    compares.add(unchanged(checkKey(service, id, n), stateKv));
    compares.add(unchanged(ttlKey(service, id, n), marker));
    boolean changed =
        old == null || old.status() != status || !Objects.equals(old.output(), output);
    long since = old != null && old.status() == status ? old.sinceMs() : clock.millis();
    CompletionStage<Long> lease;
    boolean running = marker != null && old != null && old.ttlLease() == marker.lease();
    if (running) {
      lease =
          client
              .keepAlive(marker.lease())
              .handle(
                  (ttlLeft, err) -> {
                    if (err == null) {
                      return CompletableFuture.completedFuture(marker.lease());
                    }
                    if (CairnException.codeOf(err) == ErrorCode.LEASE_NOT_FOUND) {
                      return client.grantLease(ttl.leaseSeconds()); // it has just passed
                    }
                    return CompletableFuture.<Long>failedFuture(err);
                  })
              .thenCompose(s -> s);
    } else {
      lease = client.grantLease(ttl.leaseSeconds());
    }
    return lease.thenApply(
        l -> {
          boolean fresh = !running || l != marker.lease();
          List<Command.TxnOp> ops = new ArrayList<>();
          if (changed || fresh) {
            ops.add(
                new Command.Put(
                    checkKey(service, id, n),
                    encode(new CheckState(status, output, since, l)),
                    leaseOfKeys,
                    false));
          }
          if (fresh) {
            ops.add(new Command.Put(ttlKey(service, id, n), Bytes.EMPTY, l, false));
          }
          return new TtlPlan(compares, ops, fresh ? l : 0, !ops.isEmpty());
        });
  }

  private CompletionStage<Outcome> apply(
      KeyValue inst, List<CompletableFuture<TtlPlan>> plans, long readAt) {
    List<Compare> compares = new ArrayList<>();
    compares.add(sameInstance(inst));
    List<Command.TxnOp> ops = new ArrayList<>();
    List<Long> fresh = new ArrayList<>();
    for (CompletableFuture<TtlPlan> f : plans) {
      TtlPlan p = f.join();
      compares.addAll(p.compares());
      ops.addAll(p.ops());
      if (p.newLease() != 0) {
        fresh.add(p.newLease());
      }
    }
    if (ops.isEmpty()) {
      return CompletableFuture.completedFuture(new Outcome(true, readAt));
    }
    return client
        .txn(new Command.Txn(compares, ops, List.of()))
        .thenCompose(
            t -> {
              if (t.succeeded()) {
                return CompletableFuture.completedFuture(new Outcome(true, t.revision()));
              }
              // Lost a race: the leases granted for this attempt go; the next attempt reads again.
              List<CompletableFuture<?>> revokes = new ArrayList<>();
              for (long l : fresh) {
                revokes.add(client.revokeLease(l).toCompletableFuture().exceptionally(e -> null));
              }
              return CompletableFuture.allOf(revokes.toArray(CompletableFuture[]::new))
                  .thenApply(v -> new Outcome(false, t.revision()));
            });
  }

  /** The outcome of one attempt of a read-then-write. */
  private record Outcome(boolean succeeded, long revision) {}

  /** The instances of {@code service} (empty when it has none). */
  public CompletionStage<Listing> instances(String service) {
    checkName("service name", service);
    return client
        .prefix(servicePrefix(service))
        .thenApply(r -> new Listing(r.revision(), instances(r.kvs())));
  }

  /** The names of the services that have at least one instance. */
  public CompletionStage<Names> names() {
    return client
        .prefix(ROOT)
        .thenApply(
            r -> {
              Set<String> names = new TreeSet<>();
              for (KeyValue kv : r.kvs()) {
                KeyPath p = KeyPath.of(kv.key());
                if (p != null && p.kind() == KeyPath.Kind.INSTANCE) {
                  names.add(p.service());
                }
              }
              return new Names(r.revision(), List.copyOf(names));
            });
  }

  // ------------------------------------------------------------------ helpers

  static KeyValue find(List<KeyValue> kvs, String key) {
    for (KeyValue kv : kvs) {
      if (kv.key().equals(key)) {
        return kv;
      }
    }
    return null;
  }

  /** Holds while {@code key} is still {@code kv} (absent when {@code kv} is null). */
  static Compare unchanged(String key, KeyValue kv) {
    return kv == null
        ? Compare.number(key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, 0)
        : Compare.number(key, Compare.Target.MOD_REVISION, Compare.Op.EQUAL, kv.modRevision());
  }

  /** Holds while the instance is the registration created with {@code inst}. */
  static Compare sameInstance(KeyValue inst) {
    return Compare.number(
        inst.key(), Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, inst.createRevision());
  }

  static CairnException notFound(String service, String id) {
    return new CairnException(
        ErrorCode.INSTANCE_NOT_FOUND, "service " + service + " has no instance " + id);
  }

  /** Runs {@code attempt} until its transaction succeeds (a lost race reads again). */
  private static CompletionStage<Long> retrying(Supplier<CompletionStage<?>> attempt) {
    return retrying(attempt, ATTEMPTS);
  }

  private static CompletionStage<Long> retrying(Supplier<CompletionStage<?>> attempt, int left) {
    return attempt
        .get()
        .thenCompose(
            r -> {
              boolean ok;
              long revision;
              if (r instanceof dev.cairn.core.keyspace.Reply.TxnReply t) {
                ok = t.succeeded();
                revision = t.revision();
              } else if (r instanceof Outcome p) {
                ok = p.succeeded();
                revision = p.revision();
              } else {
                throw new IllegalStateException("unhandled " + r);
              }
              if (ok) {
                return CompletableFuture.completedFuture(revision);
              }
              if (left <= 1) {
                throw new CairnException(
                    ErrorCode.UNAVAILABLE, "the instance kept changing concurrently; retry");
              }
              return retrying(attempt, left - 1);
            });
  }
}
