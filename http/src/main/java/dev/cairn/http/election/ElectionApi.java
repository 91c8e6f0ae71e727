package dev.cairn.http.election;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.http.ApiException;
import dev.cairn.http.Json;
import dev.cairn.http.Request;
import dev.cairn.http.Responses;
import dev.cairn.http.Waiting;
import dev.cairn.http.recipe.InProcessClient;
import dev.cairn.http.watch.WatchSettings;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.CairnException;
import dev.cairn.recipes.election.Election;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
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
 * Handlers for {@code /elections/{name}} in one namespace: the {@link Election} recipe run through
 * an {@link InProcessClient}. Waits are bounded as a lock's (see {@link Waiting}).
 *
 * <ul>
 *   <li>{@code POST /elections/{name}} campaigns and answers once elected;
 *   <li>{@code PUT /elections/{name}/proclaim} sets the leader's value (so an election's name
 *       cannot end in {@code /proclaim});
 *   <li>{@code DELETE /elections/{name}?token=} resigns;
 *   <li>{@code GET /elections/{name}} is the leader ({@code null} when none) and the candidates;
 *   <li>{@code GET /elections/{name}?watch=true} streams every change of leader or of its value as
 *       server-sent events ({@code event: leader}), the current leader first.
 * </ul>
 */
public final class ElectionApi {
  /** Observations queued to a slow SSE client before its stream ends. */
  private static final int STREAM_QUEUE = 256;

  /** A comment line this often keeps a quiet observation stream from the idle timeout. */
  private static final Duration KEEP_ALIVE = Duration.ofSeconds(10);

  private static final String PROCLAIM = "/proclaim";

  private final ActorSystem system;
  private final Namespaces namespaces;
  private final WatchSettings watchSettings;

  public ElectionApi(ActorSystem system, Namespaces namespaces) {
    this.system = system;
    this.namespaces = namespaces;
    this.watchSettings = WatchSettings.fromConfig(system.settings().config());
  }

  private CairnClient client(Request r) {
    return new InProcessClient(system, namespaces, r.namespace(), watchSettings);
  }

  /** {@code name} is the decoded path after {@code elections/}; it may contain '/'. */
  public CompletionStage<HttpResponse> handle(Request r, String name) {
    if (name.isEmpty()) {
      throw new ApiException(ErrorCode.NOT_FOUND, "an election needs a name: /v1/elections/{name}");
    }
    var m = r.method();
    if (name.endsWith(PROCLAIM)) {
      String election = name.substring(0, name.length() - PROCLAIM.length());
      if (election.isEmpty()) {
        throw new ApiException(
            ErrorCode.NOT_FOUND, "an election needs a name: /v1/elections/{name}/proclaim");
      }
      if (m != HttpMethods.PUT) {
        throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: PUT");
      }
      return proclaim(r, election);
    }
    if (m == HttpMethods.POST) {
      return campaign(r, name);
    } else if (m == HttpMethods.DELETE) {
      return resign(r, name);
    } else if (m == HttpMethods.GET) {
      if (r.flag("watch")) {
        return CompletableFuture.completedFuture(observe(r, name));
      }
      return new Election(client(r))
          .status(name)
          .thenApply(
              s -> Responses.json(200, ElectionBodies.ElectionStatus.of(name, s), s.revision()));
    }
    throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET, POST, DELETE");
  }

  private CompletionStage<HttpResponse> campaign(Request r, String name) {
    ElectionBodies.CampaignRequest body = Json.read(r.body(), ElectionBodies.CampaignRequest.class);
    Waiting.leaseOrTtl(body.ttl(), body.lease());
    Duration timeout = Waiting.timeout(body.timeoutMs());
    Bytes value = Bytes.utf8(body.value() == null ? "" : body.value());
    CairnClient client = client(r);
    Election election = new Election(client);
    return Waiting.withLease(
        client,
        body.ttl(),
        body.lease(),
        lease -> election.campaign(name, lease, value, timeout).thenApply(ElectionApi::leader));
  }

  private CompletionStage<HttpResponse> proclaim(Request r, String name) {
    ElectionBodies.ProclaimRequest body = Json.read(r.body(), ElectionBodies.ProclaimRequest.class);
    if (body.token() == null || body.value() == null) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, "a proclamation needs the leader's token and a value");
    }
    return new Election(client(r))
        .proclaim(name, body.token(), Bytes.utf8(body.value()))
        .thenApply(ElectionApi::leader);
  }

  private CompletionStage<HttpResponse> resign(Request r, String name) {
    long token = Waiting.token(r);
    return new Election(client(r))
        .resign(name, token)
        .thenApply(
            v -> Responses.json(200, new ElectionBodies.ElectionResigned(name, token), token));
  }

  private static HttpResponse leader(Election.Leader l) {
    return Responses.json(200, ElectionBodies.ElectionLeader.of(l), l.revision());
  }

  /**
   * The observation stream: {@code event: leader} with the {@code ElectionObservation} as data and
   * its revision as id, the current leader first. A stream that cannot go on ends with {@code
   * event: error} (a problem code); a client that does not read (more than {@value STREAM_QUEUE}
   * events behind) gets the stream ended, and reconnects to the current leader.
   */
  private HttpResponse observe(Request r, String name) {
    Pair<BoundedSourceQueue<ByteString>, Source<ByteString, NotUsed>> out =
        Source.<ByteString>queue(STREAM_QUEUE).preMaterialize(system);
    BoundedSourceQueue<ByteString> queue = out.first();
    CairnClient.Watch[] watch = new CairnClient.Watch[1];
    watch[0] =
        new Election(client(r))
            .observe(
                name,
                o -> {
                  ByteString event =
                      sse(
                          "leader",
                          Long.toString(o.revision()),
                          Json.write(ElectionBodies.ElectionObservation.of(name, o)));
                  if (queue.offer(event) != QueueOfferResult.enqueued()) {
                    queue.complete(); // the client does not read: it resumes by reconnecting
                  }
                },
                err -> {
                  ErrorCode code = CairnException.codeOf(err);
                  queue.offer(
                      sse(
                          "error",
                          null,
                          Json.write(
                              Map.of(
                                  "code",
                                  (code == null ? ErrorCode.UNAVAILABLE : code).wire(),
                                  "detail",
                                  String.valueOf(err.getMessage())))));
                  queue.complete();
                });
    Source<ByteString, NotUsed> body =
        out.second()
            .keepAlive(KEEP_ALIVE, () -> ByteString.fromString(":\n\n"))
            .watchTermination(
                (mat, done) -> {
                  done.whenComplete((d, e) -> watch[0].cancel());
                  return mat;
                });
    return HttpResponse.create()
        .withEntity(HttpEntities.create(ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM), body))
        .addHeader(RawHeader.create("Cache-Control", "no-cache"));
  }

  private static ByteString sse(String event, String id, byte[] data) {
    StringBuilder sb = new StringBuilder();
    if (id != null) {
      sb.append("id: ").append(id).append('\n');
    }
    sb.append("event: ").append(event).append('\n');
    sb.append("data: ").append(new String(data, StandardCharsets.UTF_8)).append("\n\n");
    return ByteString.fromString(sb.toString());
  }
}
