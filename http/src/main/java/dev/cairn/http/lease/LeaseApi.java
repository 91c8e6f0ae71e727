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
import java.util.List;
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
                    new LeaseBodies.LeaseGrantResponse(g.id(), g.ttlSeconds(), g.revision()),
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
                    new LeaseBodies.LeaseList(
                        l.revision(), l.ids().stream().map(LeaseBodies.LeaseId::new).toList()),
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
                return Responses.json(
                    200,
                    new LeaseBodies.LeaseStatus(
                        s.id(),
                        s.remainingSeconds(),
                        s.grantedTtlSeconds(),
                        s.keys(),
                        s.revision()),
                    s.revision());
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
                    new LeaseBodies.LeaseKeepAliveResponse(k.id(), k.ttlSeconds(), k.revision()),
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
                    new LeaseBodies.LeaseRevokeResponse(
                        v.id(), v.revision(), v.deletedKeys().size()),
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
