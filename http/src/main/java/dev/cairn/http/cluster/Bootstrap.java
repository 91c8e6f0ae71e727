package dev.cairn.http.cluster;

import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster formation for {@code cairn.cluster.discovery = kubernetes}: Pekko Management's HTTP
 * endpoint (its {@code /bootstrap/seed-nodes} route, on {@code pekko.management.http.port}) and
 * Cluster Bootstrap, which looks up the pods of this StatefulSet through the Kubernetes API ({@code
 * pekko.discovery.kubernetes-api}), asks each pod's management endpoint whether it is a member, and
 * joins the cluster they run; when none runs and every pod found has answered, the pod with the
 * lowest address forms the cluster and the others join it.
 *
 * <p>A pod that restarts finds the running cluster through the others' endpoints, so nothing like
 * the seed list's member file ({@link JoinWatch}) is needed here.
 */
public final class Bootstrap {
  private static final Logger log = LoggerFactory.getLogger(Bootstrap.class);

  private Bootstrap() {}

  /**
   * Binds the management endpoint and starts Cluster Bootstrap. Throws when the endpoint cannot
   * bind (e.g. its port is in use): without it no pod could find this one.
   */
  public static void start(ActorSystem system) throws Exception {
    var uri = PekkoManagement.get(system).start().toCompletableFuture().get(30, TimeUnit.SECONDS);
    ClusterBootstrap.get(system).start();
    log.info(
        "finding the cluster through the Kubernetes API (pods labelled {}); management endpoint {}",
        system.settings().config().getString("pekko.discovery.kubernetes-api.pod-label-selector"),
        uri);
  }
}
