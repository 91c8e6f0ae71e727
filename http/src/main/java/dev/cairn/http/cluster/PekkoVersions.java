package dev.cairn.http.cluster;

import java.util.List;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.util.ManifestInfo;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The check of Pekko's modules for one version that the actor system itself makes with {@code
 * pekko.fail-mixed-versions = on}, made here instead with one exception: {@code pekko-discovery},
 * which Pekko Management needs and which the build's repository serves only at an older 1.x version
 * (binary compatible with the rest; see the root pom). The server's configuration turns the actor
 * system's check off; this one keeps refusing any other mix, which would fail in ways far harder to
 * diagnose than a refusal at start.
 */
public final class PekkoVersions {

  /** The Pekko modules that must share {@code pekko-actor}'s version when present. */
  static final List<String> MODULES =
      List.of(
          "pekko-actor",
          "pekko-actor-typed",
          "pekko-cluster",
          "pekko-cluster-metrics",
          "pekko-cluster-sharding",
          "pekko-cluster-sharding-typed",
          "pekko-cluster-tools",
          "pekko-cluster-typed",
          "pekko-coordination",
          "pekko-distributed-data",
          "pekko-persistence",
          "pekko-persistence-query",
          "pekko-persistence-typed",
          "pekko-pki",
          "pekko-protobuf-v3",
          "pekko-remote",
          "pekko-serialization-jackson",
          "pekko-slf4j",
          "pekko-stream",
          "pekko-stream-typed");

  private PekkoVersions() {}

  /**
   * Throws {@link IllegalStateException} naming the versions found when the Pekko modules on the
   * classpath (other than {@code pekko-discovery}) are not all of one version.
   */
  public static void check(ActorSystem system) {
    ManifestInfo.get(system)
        .checkSameVersion(
            "Apache Pekko", CollectionConverters.asScala(MODULES).toList(), false, true);
  }
}
