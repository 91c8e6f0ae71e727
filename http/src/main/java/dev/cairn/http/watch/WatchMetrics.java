package dev.cairn.http.watch;

import dev.cairn.actors.watch.WatchHubs;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The watch counters of one node in {@code /metrics} (see docs/operations.md, "Watches"): open
 * connections, refused connections, watches cancelled by reason, watches that subscribed again
 * after their leader stopped, and the hubs' subscriptions.
 */
final class WatchMetrics {
  private final MeterRegistry registry;
  private final Counter refused;
  private final Counter resubscribed;
  private final ConcurrentHashMap<String, Counter> canceled = new ConcurrentHashMap<>();

  WatchMetrics(MeterRegistry registry, AtomicInteger openConnections, WatchHubs hubs) {
    this.registry = registry;
    Gauge.builder("cairn.watch.connections", openConnections, AtomicInteger::get)
        .description("Open watch connections (WebSocket and SSE)")
        .strongReference(true)
        .register(registry);
    Gauge.builder("cairn.watch.hub.subscriptions", hubs, WatchHubs::subscriptions)
        .description("Watches registered in this node's watch hubs")
        .strongReference(true)
        .register(registry);
    refused =
        Counter.builder("cairn.watch.connections.refused")
            .description("Watch connections refused at cairn.watch.max-connections")
            .register(registry);
    resubscribed =
        Counter.builder("cairn.watch.resubscribed")
            .description("Watches that subscribed again after their namespace's leader stopped")
            .register(registry);
  }

  void refused() {
    refused.increment();
  }

  void resubscribed(int watches) {
    resubscribed.increment(watches);
  }

  /** A watch ended by the server or the client, by {@code reason} (the canceled message's). */
  void canceled(String reason) {
    canceled
        .computeIfAbsent(
            reason,
            r ->
                Counter.builder("cairn.watch.canceled")
                    .description("Watches cancelled, by reason")
                    .tag("reason", r)
                    .register(registry))
        .increment();
  }
}
