package dev.cairn.http.services;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.http.ApiException;
import dev.cairn.http.Json;
import dev.cairn.http.Request;
import dev.cairn.http.Responses;
import dev.cairn.http.recipe.InProcessClient;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.services.Durations;
import dev.cairn.recipes.services.HealthChecker;
import dev.cairn.recipes.services.ServiceRegistry;
import dev.cairn.recipes.services.ServiceRegistry.KeyPath;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Handlers for {@code /services} in one namespace: the {@link ServiceRegistry} recipe run through
 * an {@link InProcessClient}, and the event stream of a service as server-sent events.
 */
public final class ServiceApi {
  private static final long HOUR_MS = 3_600_000;

  /** Events a stream holds for a client that does not read; one more ends the stream. */
  private static final int STREAM_QUEUE = 1024;

  /** A comment line this often keeps an idle stream's connection from timing out. */
  private static final Duration STREAM_KEEPALIVE = Duration.ofSeconds(15);

  private final ActorSystem system;
  private final Namespaces namespaces;
  private final ServiceCheckers checkers;

  /** The open event streams, ended with a {@code shutdown} event when the node stops. */
  private final Set<BoundedSourceQueue<ByteString>> streams = ConcurrentHashMap.newKeySet();

  /** Counts the node's health checking in {@code metrics} ({@code /metrics}). */
  public ServiceApi(ActorSystem system, Namespaces namespaces, MeterRegistry metrics) {
    this.system = system;
    this.namespaces = namespaces;
    this.checkers = new ServiceCheckers(system, namespaces, metrics);
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseServiceUnbind(),
            "end-service-streams",
            () -> {
              for (BoundedSourceQueue<ByteString> q : streams) {
                q.offer(ByteString.fromString("event: shutdown\ndata: {}\n\n"));
                q.complete();
              }
              return CompletableFuture.completedFuture(Done.getInstance());
            });
  }

  /**
   * Starts this node's health checker of namespace {@code ns} when {@code txn} wrote a check's
   * state: a registration with checks made through the key-value API (the Java client and the
   * command line run the registry's code on their side) starts the checker as one made here does.
   */
  public void committed(String ns, Command.Txn txn) {
    for (Command.TxnOp op : txn.success()) {
      if (op instanceof Command.Put p && ServiceRegistry.isCheckKey(p.key())) {
        checkers.ensure(ns);
        return;
      }
    }
  }

  /** The health checker of namespace {@code ns} on this node, or null (for tests and metrics). */
  public HealthChecker checker(String ns) {
    return checkers.checker(ns);
  }

  private CairnClient client(Request r) {
    return new InProcessClient(system, namespaces, r.namespace());
  }

  private ServiceRegistry registry(Request r) {
    return new ServiceRegistry(client(r));
  }

  /** {@code rest} is the path after {@code services}, still percent-encoded. */
  public CompletionStage<HttpResponse> handle(Request r, List<String> rest) {
    var m = r.method();
    if (rest.isEmpty()) {
      allow(m == HttpMethods.GET, "GET");
      return registry(r)
          .names()
          .thenApply(
              n ->
                  Responses.json(
                      200, new ServiceBodies.ServiceNames(n.names(), n.revision()), n.revision()));
    }
    String name = ServiceRegistry.checkName("service name", Request.decode(rest.get(0)));
    if (rest.size() == 1) {
      allow(m == HttpMethods.GET, "GET");
      return list(r, name);
    }
    if (rest.size() == 2 && rest.get(1).equals("events")) {
      allow(m == HttpMethods.GET, "GET");
      return events(r, name);
    }
    if (rest.size() >= 3 && rest.size() <= 4 && rest.get(1).equals("instances")) {
      String id = ServiceRegistry.checkName("instance id", Request.decode(rest.get(2)));
      if (rest.size() == 3) {
        if (m == HttpMethods.PUT) {
          return register(r, name, id);
        } else if (m == HttpMethods.DELETE) {
          return registry(r)
              .deregister(name, id)
              .thenApply(
                  rev ->
                      Responses.json(
                          200, new ServiceBodies.InstanceDeregistered(name, id, rev), rev));
        } else if (m == HttpMethods.GET) {
          return one(r, name, id);
        }
        throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET, PUT, DELETE");
      }
      if (rest.get(3).equals("health")) {
        allow(m == HttpMethods.PUT, "PUT");
        return report(r, name, id);
      }
    }
    throw new ApiException(ErrorCode.NOT_FOUND, "no resource at " + r.http().getUri().path());
  }

  private static void allow(boolean ok, String methods) {
    if (!ok) {
      throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: " + methods);
    }
  }

  // ------------------------------------------------------------------ reads

  private CompletionStage<HttpResponse> list(Request r, String name) {
    boolean healthy = r.flag("healthy");
    List<String> tags = r.http().getUri().query().getAll("tag");
    return registry(r)
        .instances(name)
        .thenApply(
            l -> {
              List<ServiceBodies.ServiceInstance> out = new ArrayList<>();
              for (ServiceRegistry.Instance i : l.instances()) {
                if (healthy && i.status() != ServiceRegistry.Status.PASSING) {
                  continue;
                }
                if (!i.registration().tags().containsAll(tags)) {
                  continue;
                }
                out.add(ServiceBodies.ServiceInstance.of(i));
              }
              return Responses.json(
                  200, new ServiceBodies.ServiceInstances(name, out, l.revision()), l.revision());
            });
  }

  private CompletionStage<HttpResponse> one(Request r, String name, String id) {
    return registry(r)
        .instances(name)
        .thenApply(
            l -> {
              for (ServiceRegistry.Instance i : l.instances()) {
                if (i.id().equals(id)) {
                  return Responses.json(200, ServiceBodies.ServiceInstance.of(i), l.revision());
                }
              }
              throw new ApiException(
                  ErrorCode.INSTANCE_NOT_FOUND, "service " + name + " has no instance " + id);
            });
  }

  // ------------------------------------------------------------------ writes

  private CompletionStage<HttpResponse> register(Request r, String name, String id) {
    ServiceBodies.InstanceRegistration body =
        Json.read(r.body(), ServiceBodies.InstanceRegistration.class);
    ServiceRegistry.Registration reg = registration(body);
    String ns = r.namespace();
    return registry(r)
        .register(name, id, reg)
        .thenApply(
            rev -> {
              if (!reg.checks().isEmpty()) {
                checkers.ensure(ns); // an instance without checks needs no checker
              }
              return Responses.json(200, new ServiceBodies.InstanceRegistered(name, id, rev), rev);
            });
  }

  /** Validates a registration; every mistake is a 400 with its own code. */
  static ServiceRegistry.Registration registration(ServiceBodies.InstanceRegistration b) {
    if (b.address() == null || b.address().isBlank()) {
      throw invalid("address is required (a host name or IP address)");
    }
    if (b.port() == null || b.port() < 0 || b.port() > 65535) {
      throw invalid("port is required, 0 to 65535");
    }
    List<String> tags = b.tags() == null ? List.of() : b.tags();
    for (String t : tags) {
      if (t == null || t.isEmpty()) {
        throw invalid("tags must be non-empty strings");
      }
    }
    Map<String, String> meta = b.meta() == null ? Map.of() : b.meta();
    for (var e : meta.entrySet()) {
      if (e.getValue() == null) {
        throw invalid("meta values must be strings (meta." + e.getKey() + " is null)");
      }
    }
    List<ServiceRegistry.Check> checks = new ArrayList<>();
    List<ServiceBodies.CheckDefinition> defs = b.checks() == null ? List.of() : b.checks();
    for (int i = 0; i < defs.size(); i++) {
      checks.add(check("checks[" + i + "]", defs.get(i)));
    }
    long deregisterAfter =
        b.deregisterAfter() == null
            ? 0
            : Durations.millis("deregister_after", b.deregisterAfter(), 100, 30 * 24 * HOUR_MS);
    if (b.lease() != null && b.lease() <= 0) {
      throw invalid("lease must be a positive lease id");
    }
    return new ServiceRegistry.Registration(
        b.address(),
        b.port(),
        tags,
        meta,
        checks,
        deregisterAfter,
        b.lease() == null ? 0 : b.lease());
  }

  private static ServiceRegistry.Check check(String at, ServiceBodies.CheckDefinition d) {
    if (d == null || (d.ttl() == null) == (d.http() == null)) {
      throw invalid(at + " needs exactly one of ttl and http");
    }
    if (d.ttl() != null) {
      if (d.interval() != null || d.timeout() != null) {
        throw invalid(at + ": a ttl check has no interval or timeout");
      }
      return new ServiceRegistry.Ttl(Durations.millis(at + ".ttl", d.ttl(), 1, 24 * HOUR_MS));
    }
    URI uri;
    try {
      uri = new URI(d.http());
    } catch (java.net.URISyntaxException e) {
      throw invalid(at + ".http is not a URL: " + e.getMessage());
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
        || uri.getHost() == null) {
      throw invalid(at + ".http must be an absolute http:// or https:// URL");
    }
    if (d.interval() == null) {
      throw new ApiException(
          ErrorCode.INVALID_DURATION, at + ".interval is required for an http check");
    }
    long interval = Durations.millis(at + ".interval", d.interval(), 100, 24 * HOUR_MS);
    long timeout =
        d.timeout() == null
            ? Math.min(10_000, interval)
            : Durations.millis(at + ".timeout", d.timeout(), 1, 300_000);
    return new ServiceRegistry.Http(d.http(), interval, timeout);
  }

  private static ApiException invalid(String detail) {
    return new ApiException(ErrorCode.INVALID_ARGUMENT, detail);
  }

  private CompletionStage<HttpResponse> report(Request r, String name, String id) {
    ServiceBodies.HealthReport body = Json.read(r.body(), ServiceBodies.HealthReport.class);
    ServiceRegistry.Status status = ServiceRegistry.Status.of(body.status());
    if (body.output() != null && body.output().length() > 4096) {
      throw invalid("output is limited to 4096 characters");
    }
    return registry(r)
        .report(name, id, status, body.output())
        .thenApply(
            rev ->
                Responses.json(
                    200, new ServiceBodies.HealthReported(name, id, status.wire(), rev), rev));
  }

  // ------------------------------------------------------------------ events

  /**
   * A service's changes as server-sent events: first a {@code snapshot} of its instances at
   * revision R, then every registration, replacement, removal and check status change after R, in
   * revision order, each with its revision as the event id.
   */
  private CompletionStage<HttpResponse> events(Request r, String name) {
    CairnClient client = client(r);
    String prefix = ServiceRegistry.servicePrefix(name);
    return client
        .prefix(prefix)
        .thenApply(
            snap -> {
              Pair<BoundedSourceQueue<ByteString>, Source<ByteString, NotUsed>> q =
                  Source.<ByteString>queue(STREAM_QUEUE).preMaterialize(system);
              BoundedSourceQueue<ByteString> out = q.first();
              streams.add(out);
              Map<String, KeyValue> mirror = new HashMap<>();
              for (KeyValue kv : snap.kvs()) {
                mirror.put(kv.key(), kv);
              }
              List<ServiceBodies.ServiceInstance> now =
                  ServiceRegistry.instances(snap.kvs()).stream()
                      .map(ServiceBodies.ServiceInstance::of)
                      .toList();
              out.offer(
                  sse(
                      new ServiceBodies.ServiceEvent(
                          "snapshot", snap.revision(), null, null, null, null, null, null, now)));
              AtomicReference<CairnClient.Watch> watch = new AtomicReference<>();
              CairnClient.Watch w =
                  client.watchPrefix(
                      prefix,
                      snap.revision() + 1,
                      ev -> {
                        for (ServiceBodies.ServiceEvent e : translate(mirror, ev)) {
                          if (out.offer(sse(e)) != QueueOfferResult.enqueued()) {
                            out.fail(new IllegalStateException("the client does not read"));
                            CairnClient.Watch mine = watch.get();
                            if (mine != null) {
                              mine.cancel();
                            }
                            return;
                          }
                        }
                      },
                      err -> out.complete());
              watch.set(w);
              Source<ByteString, NotUsed> body =
                  q.second()
                      .keepAlive(STREAM_KEEPALIVE, () -> ByteString.fromString(":\n\n"))
                      .watchTermination(
                          (mat, done) -> {
                            done.whenComplete(
                                (d, e) -> {
                                  w.cancel();
                                  streams.remove(out);
                                });
                            return mat;
                          });
              return HttpResponse.create()
                  .withEntity(
                      HttpEntities.create(ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM), body))
                  .addHeader(RawHeader.create("Cache-Control", "no-cache"))
                  .addHeader(
                      RawHeader.create(Responses.REVISION_HEADER, Long.toString(snap.revision())));
            });
  }

  /** Applies {@code ev} to {@code mirror} and says what it means for the service's clients. */
  static List<ServiceBodies.ServiceEvent> translate(Map<String, KeyValue> mirror, WatchEvent ev) {
    String key = ev.kv().key();
    KeyValue before =
        ev.type() == WatchEvent.Type.PUT ? mirror.put(key, ev.kv()) : mirror.remove(key);
    KeyPath p = KeyPath.of(key);
    if (p == null) {
      return List.of();
    }
    long rev = ev.revision();
    KeyValue inst = mirror.get(ServiceRegistry.instanceKey(p.service(), p.id()));
    if (p.kind() == KeyPath.Kind.INSTANCE) {
      if (ev.type() == WatchEvent.Type.DELETE) {
        return List.of(
            new ServiceBodies.ServiceEvent(
                "deregistered", rev, p.id(), null, null, null, null, null, null));
      }
      var view = ServiceRegistry.instance(p.service(), p.id(), inst, mirror::get);
      return List.of(
          new ServiceBodies.ServiceEvent(
              before == null ? "registered" : "updated",
              rev,
              p.id(),
              ServiceBodies.ServiceInstance.of(view),
              null,
              null,
              view.status().wire(),
              null,
              null));
    }
    if (p.kind() != KeyPath.Kind.CHECK
        || ev.type() != WatchEvent.Type.PUT
        || before == null
        || inst == null) {
      return List.of(); // a new instance's first states come with its registration
    }
    var was = ServiceRegistry.decodeState(before.value());
    var is = ServiceRegistry.decodeState(ev.kv().value());
    if (was.status() == is.status()) {
      return List.of();
    }
    var view = ServiceRegistry.instance(p.service(), p.id(), inst, mirror::get);
    return List.of(
        new ServiceBodies.ServiceEvent(
            "status",
            rev,
            p.id(),
            null,
            p.check(),
            is.status().wire(),
            view.status().wire(),
            is.output(),
            null));
  }

  private static ByteString sse(ServiceBodies.ServiceEvent e) {
    return ByteString.fromString(
        "id: "
            + e.revision()
            + "\nevent: "
            + e.type()
            + "\ndata: "
            + new String(Json.write(e), java.nio.charset.StandardCharsets.UTF_8)
            + "\n\n");
  }
}
