package dev.cairn.persistence.journal;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * The condition of every {@link ForcedLogJournal} of an actor system, by plugin id: lets a
 * persistent actor refuse a write at once while its journal cannot make it durable (instead of
 * applying it and failing later), and lets readiness probes report a full disk. A plugin id with no
 * open {@link ForcedLogJournal} (another journal, or not started yet) counts as writable.
 */
public final class JournalConditions implements Extension {

  private final ConcurrentHashMap<String, ForcedLog> logs = new ConcurrentHashMap<>();

  public static JournalConditions get(ActorSystem system) {
    return Id.INSTANCE.get(system);
  }

  void register(String pluginId, ForcedLog log) {
    logs.put(pluginId, log);
  }

  void unregister(String pluginId, ForcedLog log) {
    logs.remove(pluginId, log);
  }

  /** Cheap: whether the journal of {@code pluginId} can make writes durable now. */
  public boolean writable(String pluginId) {
    ForcedLog log = logs.get(pluginId);
    return log == null || log.writable();
  }

  /** The condition of the journal of {@code pluginId}, or null if it reports none. */
  public JournalCondition condition(String pluginId) {
    ForcedLog log = logs.get(pluginId);
    return log == null ? null : log.condition();
  }

  /** Every reporting journal's condition, by plugin id. */
  public Map<String, JournalCondition> all() {
    Map<String, JournalCondition> result = new TreeMap<>();
    logs.forEach((id, log) -> result.put(id, log.condition()));
    return result;
  }

  /** The extension's id. */
  public static final class Id extends AbstractExtensionId<JournalConditions>
      implements ExtensionIdProvider {
    public static final Id INSTANCE = new Id();

    private Id() {}

    @Override
    public JournalConditions createExtension(ExtendedActorSystem system) {
      return new JournalConditions();
    }

    @Override
    public Id lookup() {
      return INSTANCE;
    }
  }
}
