package dev.cairn.http.namespace;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.http.ApiException;
import dev.cairn.http.Request;
import dev.cairn.http.Responses;
import dev.cairn.http.kv.KvApi;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Handlers for {@code /v1/namespaces}. */
public final class NamespaceApi {
  private final Namespaces namespaces;

  public NamespaceApi(Namespaces namespaces) {
    this.namespaces = namespaces;
  }

  public CompletionStage<HttpResponse> handle(Request r, List<String> rest) {
    var m = r.method();
    if (rest.isEmpty()) {
      if (m != HttpMethods.GET) {
        throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET");
      }
      return namespaces
          .list()
          .thenApply(names -> Responses.json(200, new NamespaceBodies.NamespaceList(names), -1));
    }
    if (rest.size() != 1) {
      throw new ApiException(ErrorCode.NOT_FOUND, "no such namespace resource");
    }
    String name = Request.decode(rest.get(0));
    if (!Namespaces.validName(name)) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST,
          "namespace names are 1-63 of a-z 0-9 _ . - and start with a letter or digit");
    }
    if (m == HttpMethods.PUT) {
      return namespaces
          .create(name)
          .thenApply(
              reply -> {
                if (reply instanceof Reply.NamespaceReply n) {
                  return Responses.json(
                      201, new NamespaceBodies.NamespaceResponse(name, n.revision()), n.revision());
                }
                if (reply instanceof Reply.Rejected rj && rj.code() == ErrorCode.NAMESPACE_EXISTS) {
                  return Responses.json(
                      200,
                      new NamespaceBodies.NamespaceResponse(name, rj.revision()),
                      rj.revision());
                }
                return KvApi.other(reply);
              });
    } else if (m == HttpMethods.DELETE) {
      return namespaces
          .delete(name, r.flag("force"))
          .thenApply(
              reply -> {
                if (reply instanceof Reply.NamespaceReply n) {
                  return Responses.json(
                      200, new NamespaceBodies.NamespaceResponse(name, n.revision()), n.revision());
                }
                return KvApi.other(reply);
              });
    } else if (m == HttpMethods.GET) {
      dev.cairn.core.keyspace.Read status = new dev.cairn.core.keyspace.Read.Status();
      return (KvApi.serializable(r)
              ? namespaces.readSerializable(name, status)
              : namespaces.read(name, status))
          .thenApply(
              reply -> {
                if (reply instanceof Reply.StatusReply s) {
                  return Responses.json(
                      200,
                      new NamespaceBodies.NamespaceStatus(
                          name,
                          s.revision(),
                          s.compactRevision(),
                          s.keys(),
                          s.leases(),
                          String.format("%016x", s.digest())),
                      s.revision());
                }
                return KvApi.other(reply);
              });
    }
    throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET, PUT, DELETE");
  }
}
