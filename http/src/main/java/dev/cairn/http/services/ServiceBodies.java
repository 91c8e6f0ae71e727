package dev.cairn.http.services;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.cairn.recipes.services.Durations;
import dev.cairn.recipes.services.ServiceRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The JSON bodies of {@code /v1/services}. */
public final class ServiceBodies {
  private ServiceBodies() {}

  /**
   * {@code PUT /v1/services/{name}/instances/{id}}; durations are strings such as {@code "10s"} or
   * numbers of seconds.
   */
  record InstanceRegistration(
      String address,
      Integer port,
      List<String> tags,
      Map<String, String> meta,
      List<CheckDefinition> checks,
      Object deregisterAfter,
      Long lease) {}

  /** Exactly one of {@code ttl} and {@code http}; {@code interval} and {@code timeout} for http. */
  record CheckDefinition(Object ttl, String http, Object interval, Object timeout) {}

  /** {@code PUT …/instances/{id}/health}. */
  record HealthReport(String status, String output) {}

  record InstanceRegistered(String name, String id, long revision) {}

  record InstanceDeregistered(String name, String id, long revision) {}

  record HealthReported(String name, String id, String status, long revision) {}

  record ServiceNames(List<String> services, long revision) {}

  /** A check with its definition and state; {@code since} is when it entered its status. */
  record ServiceCheck(
      int index,
      String type,
      String ttl,
      String http,
      String interval,
      String timeout,
      String status,
      String output,
      String since) {
    static ServiceCheck of(ServiceRegistry.CheckView c) {
      String since =
          c.state().sinceMs() > 0 ? Instant.ofEpochMilli(c.state().sinceMs()).toString() : null;
      String status = c.state().status().wire();
      if (c.check() instanceof ServiceRegistry.Ttl t) {
        return new ServiceCheck(
            c.index(),
            "ttl",
            Durations.format(t.ttlMs()),
            null,
            null,
            null,
            status,
            c.state().output(),
            since);
      } else if (c.check() instanceof ServiceRegistry.Http h) {
        return new ServiceCheck(
            c.index(),
            "http",
            null,
            h.url(),
            Durations.format(h.intervalMs()),
            Durations.format(h.timeoutMs()),
            status,
            c.state().output(),
            since);
      }
      throw new IllegalStateException("unhandled " + c.check());
    }
  }

  record ServiceInstance(
      String id,
      String address,
      int port,
      List<String> tags,
      Map<String, String> meta,
      String status,
      List<ServiceCheck> checks,
      String deregisterAfter,
      long lease,
      long createRevision,
      long modRevision) {
    static ServiceInstance of(ServiceRegistry.Instance i) {
      var r = i.registration();
      return new ServiceInstance(
          i.id(),
          r.address(),
          r.port(),
          r.tags(),
          new java.util.TreeMap<>(r.meta()),
          i.status().wire(),
          i.checks().stream().map(ServiceCheck::of).toList(),
          r.deregisterAfterMs() > 0 ? Durations.format(r.deregisterAfterMs()) : null,
          r.lease(),
          i.createRevision(),
          i.modRevision());
    }
  }

  record ServiceInstances(String name, List<ServiceInstance> instances, long revision) {}

  /**
   * One event of {@code GET /v1/services/{name}/events}: {@code snapshot} (the instances at the
   * start), {@code registered}, {@code updated}, {@code deregistered}, {@code status} (a check's
   * status changed; {@code status} is then the instance's, {@code check_status} the check's).
   */
  record ServiceEvent(
      String type,
      long revision,
      String id,
      ServiceInstance instance,
      Integer check,
      String checkStatus,
      String status,
      String output,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<ServiceInstance> instances) {}
}
