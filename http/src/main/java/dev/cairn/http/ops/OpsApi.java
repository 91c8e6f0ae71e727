package dev.cairn.http.ops;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.ErrorCode;
import dev.cairn.http.Responses;
import dev.cairn.persistence.journal.JournalCondition;
import dev.cairn.persistence.journal.JournalConditions;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;

/** Liveness, readiness, Prometheus metrics and the OpenAPI document. */
public final class OpsApi {
  private final ActorSystem system;
  private final Namespaces namespaces;
  private final PrometheusMeterRegistry prometheus;
  private final byte[] openapi;
  private final Condition condition;
  private final LeaderProbe leaders;
  private volatile boolean stopping;

  /**
   * A condition of readiness besides the node's own (e.g. its Cassandra journal answers): completes
   * with null when met, else with the answer {@code /ready} gives.
   */
  public interface Condition {
    CompletionStage<HttpResponse> unmet();
  }

  /** The answer of {@code /health}, as its schema in {@code openapi.yaml}. */
  public record Health(String status) {}

  /**
   * The answer of {@code /ready}: the default namespace's revision, and how many namespaces'
   * leaders answered.
   */
  public record Ready(String status, long revision, int namespaces) {}

  public OpsApi(ActorSystem system, Namespaces namespaces, PrometheusMeterRegistry prometheus) {
    this(system, namespaces, prometheus, () -> CompletableFuture.completedFuture(null));
  }

  public OpsApi(
      ActorSystem system,
      Namespaces namespaces,
      PrometheusMeterRegistry prometheus,
      Condition condition) {
    this.condition = condition;
    this.system = system;
    this.namespaces = namespaces;
    this.prometheus = prometheus;
    this.openapi = resource("/openapi.yaml");
    this.leaders = LeaderProbe.fromConfig(namespaces, system.settings().config());
  }

  /** The process is up and serving HTTP. */
  public CompletionStage<HttpResponse> health() {
    return CompletableFuture.completedFuture(Responses.json(200, new Health("ok"), -1));
  }

  /** From now on the node is not ready: it is shutting down. */
  public void stopping() {
    stopping = true;
  }

  /**
   * This node is not shutting down, is an Up cluster member with company when other seeds are
   * configured (see {@link #aloneWithOtherSeeds}), reaches more than half of the members it knows
   * (see {@link #outOfReach}), its journal can make writes durable (a full disk makes it not ready:
   * 507 {@code insufficient_storage}), the {@link Condition} holds (its Cassandra journal answers)
   * and every namespace's leader answers (see {@link LeaderProbe}: probed at most once per {@code
   * cairn.http.ready.cache}, each leader within {@code probe-timeout}).
   */
  public CompletionStage<HttpResponse> ready() {
    if (stopping) {
      return CompletableFuture.completedFuture(
          Responses.problem(ErrorCode.UNAVAILABLE, "this node is shutting down"));
    }
    MemberStatus status = Cluster.get(system).selfMember().status();
    if (status != MemberStatus.up()) {
      return CompletableFuture.completedFuture(
          Responses.problem(
              ErrorCode.UNAVAILABLE,
              "this node is not an Up cluster member (status "
                  + status.toString().toLowerCase(java.util.Locale.ROOT)
                  + "; seeds "
                  + system.settings().config().getStringList("pekko.cluster.seed-nodes")
                  + ")"));
    }
    HttpResponse alone = aloneWithOtherSeeds();
    if (alone != null) {
      return CompletableFuture.completedFuture(alone);
    }
    var members = Cluster.get(system).state();
    String cut = outOfReach(members.members().size(), members.getUnreachable().size());
    if (cut != null) {
      return CompletableFuture.completedFuture(Responses.problem(ErrorCode.UNAVAILABLE, cut));
    }
    for (Map.Entry<String, JournalCondition> j : JournalConditions.get(system).all().entrySet()) {
      JournalCondition c = j.getValue();
      if (!c.writable()) {
        return CompletableFuture.completedFuture(
            Responses.problem(
                c.state() == JournalCondition.State.NO_SPACE
                    ? ErrorCode.INSUFFICIENT_STORAGE
                    : ErrorCode.UNAVAILABLE,
                "this node cannot make writes durable: " + c.describe()));
      }
    }
    return condition
        .unmet()
        .thenCompose(
            unmet -> unmet != null ? CompletableFuture.completedFuture(unmet) : leaderAnswers());
  }

  /**
   * A node that is the only member of its cluster while other seeds are configured is not ready: it
   * is either a first seed whose peers have not joined yet, or one that formed a cluster apart from
   * theirs (a restarted first seed whose peers answered late). Either way a client must not be sent
   * to it. Null when this node has company or was configured to be alone.
   */
  private HttpResponse aloneWithOtherSeeds() {
    Cluster cluster = Cluster.get(system);
    String self = cluster.selfAddress().toString();
    java.util.List<String> others =
        system.settings().config().getStringList("pekko.cluster.seed-nodes").stream()
            .filter(s -> !s.equals(self))
            .toList();
    if (others.isEmpty()) {
      return null;
    }
    for (org.apache.pekko.cluster.Member m : cluster.state().getMembers()) {
      if (!m.address().equals(cluster.selfAddress()) && m.status() == MemberStatus.up()) {
        return null;
      }
    }
    return Responses.problem(
        ErrorCode.UNAVAILABLE,
        "this node is the only member of its cluster while other seeds are configured ("
            + others
            + "): waiting for them to join");
  }

  /**
   * Why a node that cannot reach {@code unreachable} of the {@code members} it knows is not ready,
   * or null when it is. Half or more out of reach means this node is on the minority side of a
   * partition, or its peers are failing: the leaders it would forward requests to are likely out of
   * its reach, and the Split Brain Resolver is about to down one side. One member out of three is
   * an ordinary failover, during which the node keeps serving.
   */
  static String outOfReach(int members, int unreachable) {
    if (unreachable == 0 || unreachable * 2 < members) {
      return null;
    }
    return "this node cannot reach "
        + unreachable
        + " of the "
        + members
        + " cluster members it knows: it may be cut off from the namespace leaders";
  }

  private CompletionStage<HttpResponse> leaderAnswers() {
    return leaders
        .result()
        .handle(
            (r, failure) -> {
              if (failure != null) {
                return Responses.problem(
                    ErrorCode.UNAVAILABLE, "the namespace leaders could not be probed: " + failure);
              }
              if (r.silent().isEmpty() && r.revision() >= 0) {
                return Responses.json(
                    200, new Ready("ready", r.revision(), r.probed()), r.revision());
              }
              return Responses.problem(
                  ErrorCode.UNAVAILABLE,
                  "the leader of "
                      + (r.silent().size() == 1 ? "namespace " : "namespaces ")
                      + LeaderProbe.some(r.silent())
                      + " did not answer ("
                      + r.silent().size()
                      + " of "
                      + r.probed()
                      + " namespaces)");
            });
  }

  public CompletionStage<HttpResponse> metrics() {
    return CompletableFuture.completedFuture(
        HttpResponse.create()
            .withEntity(
                MediaTypes.TEXT_PLAIN.toContentType(HttpCharsets.UTF_8), prometheus.scrape()));
  }

  public CompletionStage<HttpResponse> openapi() {
    return CompletableFuture.completedFuture(
        HttpResponse.create()
            .withEntity(
                MediaTypes.applicationWithOpenCharset("yaml").toContentType(HttpCharsets.UTF_8),
                openapi));
  }

  private static byte[] resource(String name) {
    try (InputStream in = OpsApi.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
