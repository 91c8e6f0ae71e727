package dev.cairn.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;

/** Configuration for the Pekko Persistence TCK specs against Cairn's plugins. */
public final class TckConfig {

  private TckConfig() {}

  /**
   * The TCK's configuration for Cairn's {@code plugin} ({@code "journal"} or {@code
   * "snapshot-store"}) with its files in {@code dir} and fsync on.
   */
  public static Config forPlugin(String plugin, Path dir) {
    String cairn = "cairn.persistence." + plugin;
    // The machine is shared: give the TCK's 3 s expectations room under load.
    return ConfigFactory.parseString("pekko.test.timefactor = 5")
        .withValue("pekko.persistence." + plugin + ".plugin", ConfigValueFactory.fromAnyRef(cairn))
        .withValue(cairn + ".dir", ConfigValueFactory.fromAnyRef(dir.toString()))
        .withValue(cairn + ".fsync", ConfigValueFactory.fromAnyRef(true))
        .withFallback(ConfigFactory.load());
  }
}
