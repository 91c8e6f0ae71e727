package dev.cairn.actors.namespace;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's copy of the {@link NamespaceRegistry}'s names, readable from any thread, so that a
 * request naming a namespace that does not exist is answered without starting its leader.
 *
 * <p>The registry updates it before it acknowledges a change, and a create is acknowledged only
 * after the registry's: once a create has been acknowledged to anyone, the name is here. Until the
 * registry has recovered the copy is incomplete and {@link #recovered()} is false; callers must
 * then ask the leader, as if every name were here.
 */
final class KnownNamespaces {
  private final Set<String> names = ConcurrentHashMap.newKeySet();
  private volatile boolean recovered;

  /** True once the registry has recovered: a name not here does not exist. */
  boolean recovered() {
    return recovered;
  }

  boolean contains(String name) {
    return names.contains(name);
  }

  void recoveredWith(Collection<String> all) {
    names.addAll(all);
    names.retainAll(all);
    recovered = true;
  }

  void add(String name) {
    names.add(name);
  }

  void remove(String name) {
    names.remove(name);
  }
}
