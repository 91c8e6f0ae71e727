package dev.cairn.http.lease;

import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.http.ApiException;
import dev.cairn.http.Json;
import dev.cairn.http.Request;
import dev.cairn.http.Responses;
import dev.cairn.http.kv.KvApi;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Handlers for {@code /leases} in one namespace. */
public final class LeaseApi {
  private final Namespaces namespaces;

  public LeaseApi(Namespaces namespaces) {
    this.namespaces = namespaces;
  }

  record GrantBody(Long ttl, Long id) {}

  /** {@code rest} is the path after {@code leases}, split on '/'. */
  public CompletionStage<HttpResponse> handle(Request r, List<String> rest) {
    var m = r.method();
    if (rest.isEmpty()) {
      if (m == HttpMethods.POST) {
        return grant(r);
      } else if (m == HttpMethods.GET) {
        return list(r);
      }
      throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET, POST");
    }
    long id = leaseId(rest.get(0));
    if (rest.size() == 1) {
      if (m == HttpMethods.GET) {
        return timeToLive(r, id);
      } else if (m == HttpMethods.DELETE) {
        return revoke(r, id);
      }
      throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET, DELETE");
    }
    if (rest.size() == 2 && rest.get(1).equals("keepalive")) {
      if (m != HttpMethods.POST && m != HttpMethods.PUT) {
        throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: POST");
      }
      return keepAlive(r, id);
    }
    throw new ApiException(ErrorCode.NOT_FOUND, "no such lease resource");
  }

  private CompletionStage<HttpResponse> grant(Request r) {
    GrantBody body = Json.read(r.body(), GrantBody.class);
    if (body.ttl() == null) {
      throw new ApiException(ErrorCode.MALFORMED_REQUEST, "a lease needs a ttl in seconds");
    }
    return namespaces
        .write(r.namespace(), new Command.GrantLease(body.id() == null ? 0 : body.id(), body.ttl()))
        .thenApply(
            reply -> {
              if (reply instanceof Reply.LeaseGrantReply g) {
                return Responses.json(
                    200,
                    Map.of("id", g.id(), "ttl", g.ttlSeconds(), "revision", g.revision()),
                    g.revision());
              }
              return KvApi.other(reply);
            });
  }

  private CompletionStage<HttpResponse> list(Request r) {
    return namespaces
        .read(r.namespace(), new Read.LeaseList())
        .thenApply(
            reply -> {
              if (reply instanceof Reply.LeaseListReply l) {
                return Responses.json(
                    200,
                    Map.of(
                        "revision",
                        l.revision(),
                        "leases",
                        l.ids().stream().map(id -> Map.of("id", id)).toList()),
                    l.revision());
              }
              return KvApi.other(reply);
            });
  }

  private CompletionStage<HttpResponse> timeToLive(Request r, long id) {
    return namespaces
        .ask(r.namespace(), new NamespaceLeader.LeaseTimeToLive(id))
        .thenApply(
            reply -> {
              if (reply instanceof Reply.LeaseStatusReply s) {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("id", s.id());
                body.put("ttl", s.remainingSeconds());
                body.put("granted_ttl", s.grantedTtlSeconds());
                body.put("keys", s.keys());
                body.put("revision", s.revision());
                return Responses.json(200, body, s.revision());
              }
              return KvApi.other(reply);
            });
  }

  private CompletionStage<HttpResponse> keepAlive(Request r, long id) {
    return namespaces
        .ask(r.namespace(), new NamespaceLeader.KeepAlive(id))
        .thenApply(
            reply -> {
              if (reply instanceof Reply.KeepAliveReply k) {
                return Responses.json(
                    200,
                    Map.of("id", k.id(), "ttl", k.ttlSeconds(), "revision", k.revision()),
                    k.revision());
              }
              return KvApi.other(reply);
            });
  }

  private CompletionStage<HttpResponse> revoke(Request r, long id) {
    return namespaces
        .write(r.namespace(), new Command.RevokeLease(id))
        .thenApply(
            reply -> {
              if (reply instanceof Reply.LeaseRevokeReply v) {
                return Responses.json(
                    200,
                    Map.of(
                        "id", v.id(), "revision", v.revision(), "deleted", v.deletedKeys().size()),
                    v.revision());
              }
              return KvApi.other(reply);
            });
  }

  private static long leaseId(String s) {
    try {
      long id = Long.parseLong(s);
      if (id > 0) {
        return id;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new ApiException(ErrorCode.MALFORMED_REQUEST, "lease id must be a positive integer");
  }
}
