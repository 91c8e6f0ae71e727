package dev.cairn.http.cluster;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.util.ManifestInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/** The server's own check of Pekko's module versions, on the server's real classpath. */
class PekkoVersionsTest {
  private static ActorSystem system;

  @BeforeAll
  static void start() {
    system =
        ActorSystem.create(
            "versions",
            ConfigFactory.parseString("pekko.actor.provider = local")
                .withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  @Test
  void theServersClasspathPassesTheCheck() {
    assertThatCode(() -> PekkoVersions.check(system)).doesNotThrowAnyException();
  }

  @Test
  void theSameCheckRefusesAModuleOfAnotherVersion() {
    // pekko-discovery is the one module of another version here: counted, it must be refused.
    List<String> modules = new ArrayList<>(PekkoVersions.MODULES);
    modules.add("pekko-discovery");
    assertThatThrownBy(
            () ->
                ManifestInfo.get(system)
                    .checkSameVersion(
                        "Apache Pekko",
                        CollectionConverters.asScala(modules).toList(),
                        false,
                        true))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("pekko-discovery");
  }
}
