package dev.cairn.cli;

import static dev.cairn.client.CairnClient.await;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnClientException;
import dev.cairn.client.Watch;
import dev.cairn.client.WatchListener;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.recipes.services.ServiceRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn services register|deregister|list|watch}: the service registry recipe. */
@Command(
    name = "services",
    mixinStandardHelpOptions = true,
    description = "Register, list and watch service instances.",
    subcommands = {
      ServicesCommand.Register.class,
      ServicesCommand.Deregister.class,
      ServicesCommand.Report.class,
      ServicesCommand.ListServices.class,
      ServicesCommand.WatchService.class
    })
final class ServicesCommand {
  @Command(
      name = "register",
      mixinStandardHelpOptions = true,
      description = {
        "Register (or replace) instance ID of SERVICE.",
        "Without checks it is passing. Each check starts critical: a TTL check passes once",
        "'services report' says so and fails when no report comes within its TTL; an HTTP",
        "check passes while its URL answers 2xx. With --lease it goes when the lease ends;",
        "otherwise it stays until deregistered (or critical for --deregister-after)."
      })
  static final class Register implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SERVICE")
    String service;

    @Parameters(index = "1", paramLabel = "ID")
    String id;

    @Option(names = "--address", required = true, description = "Host or IP of the instance.")
    String address;

    @Option(names = "--port", required = true)
    int port;

    @Option(names = "--tag", paramLabel = "TAG", description = "A tag (repeatable).")
    List<String> tags = new ArrayList<>();

    @Option(names = "--meta", paramLabel = "K=V", description = "Metadata (repeatable).")
    Map<String, String> meta = new LinkedHashMap<>();

    @Option(names = "--lease", paramLabel = "ID", description = "Bind the instance to lease ID.")
    long lease;

    @Option(
        names = "--check-ttl",
        paramLabel = "TTL",
        converter = Cairn.DurationConverter.class,
        description = "A TTL check (repeatable), e.g. 10s: reports must come at least this often.")
    List<Duration> ttlChecks = new ArrayList<>();

    @Option(
        names = "--check-http",
        paramLabel = "URL",
        description = "An HTTP check (repeatable): URL is probed every --check-interval.")
    List<String> httpChecks = new ArrayList<>();

    @Option(
        names = "--check-interval",
        paramLabel = "DURATION",
        converter = Cairn.DurationConverter.class,
        description = "How often HTTP checks are probed (default: ${DEFAULT-VALUE}).",
        defaultValue = "10s")
    Duration interval;

    @Option(
        names = "--check-timeout",
        paramLabel = "DURATION",
        converter = Cairn.DurationConverter.class,
        description = "How long an HTTP check's probe may take (default: ${DEFAULT-VALUE}).",
        defaultValue = "2s")
    Duration probeTimeout;

    @Option(
        names = "--deregister-after",
        paramLabel = "DURATION",
        converter = Cairn.DurationConverter.class,
        description = "Remove the instance once a check has been critical this long.")
    Duration deregisterAfter;

    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      List<ServiceRegistry.Check> checks = new ArrayList<>();
      for (Duration ttl : ttlChecks) {
        checks.add(new ServiceRegistry.Ttl(ttl.toMillis()));
      }
      for (String url : httpChecks) {
        checks.add(new ServiceRegistry.Http(url, interval.toMillis(), probeTimeout.toMillis()));
      }
      long deregisterMs = deregisterAfter == null ? 0 : deregisterAfter.toMillis();
      try (CairnClient c = o.connect()) {
        long rev =
            await(
                c.recipes()
                    .services()
                    .register(
                        service,
                        id,
                        new ServiceRegistry.Registration(
                            address, port, tags, meta, checks, deregisterMs, lease)));
        o.out()
            .print(
                "registered " + service + "/" + id + " (revision " + rev + ")",
                Output.object().put("service", service).put("id", id).put("revision", rev));
        return Exit.OK;
      }
    }
  }

  @Command(
      name = "deregister",
      mixinStandardHelpOptions = true,
      description = "Remove instance ID of SERVICE.")
  static final class Deregister implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SERVICE")
    String service;

    @Parameters(index = "1", paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        long rev = await(c.recipes().services().deregister(service, id));
        o.out()
            .print(
                "deregistered " + service + "/" + id,
                Output.object().put("service", service).put("id", id).put("revision", rev));
        return Exit.OK;
      }
    }
  }

  @Command(
      name = "report",
      mixinStandardHelpOptions = true,
      description = {
        "Report STATUS (passing, warning or critical) for every TTL check of instance ID of",
        "SERVICE: each check's TTL starts again. Send it more often than the shortest TTL."
      })
  static final class Report implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SERVICE")
    String service;

    @Parameters(index = "1", paramLabel = "ID")
    String id;

    @Parameters(index = "2", paramLabel = "STATUS", description = "passing, warning or critical")
    String status;

    @Option(names = "--note", paramLabel = "TEXT", description = "The check's output text.")
    String note = "";

    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      ServiceRegistry.Status st = ServiceRegistry.Status.of(status);
      try (CairnClient c = o.connect()) {
        long rev = await(c.recipes().services().report(service, id, st, note));
        o.out()
            .print(
                "reported " + st.wire() + " for " + service + "/" + id,
                Output.object()
                    .put("service", service)
                    .put("id", id)
                    .put("status", st.wire())
                    .put("revision", rev));
        return Exit.OK;
      }
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "The services with instances; with SERVICE, its instances and their health.")
  static final class ListServices implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "SERVICE")
    String service;

    @Option(names = "--passing", description = "Only instances whose checks all pass.")
    boolean passing;

    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        if (service == null) {
          ServiceRegistry.Names n = await(c.recipes().services().names());
          ObjectNode doc = Output.object().put("revision", n.revision());
          ArrayNode a = doc.putArray("services");
          n.names().forEach(a::add);
          o.out().print(n.names().isEmpty() ? null : String.join("\n", n.names()), doc);
          return Exit.OK;
        }
        ServiceRegistry.Listing l = await(c.recipes().services().instances(service));
        print(o.out(), service, l, passing);
        boolean any =
            l.instances().stream()
                .anyMatch(i -> !passing || i.status() == ServiceRegistry.Status.PASSING);
        return any ? Exit.OK : Exit.NO;
      }
    }
  }

  @Command(
      name = "watch",
      mixinStandardHelpOptions = true,
      description = "Print SERVICE's instances now and after every change, until stopped.")
  static final class WatchService implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SERVICE")
    String service;

    @Option(names = "--passing", description = "Only instances whose checks all pass.")
    boolean passing;

    @Override
    public Integer call() throws InterruptedException {
      Cairn o = Cairn.options();
      Output out = o.out();
      CairnClient c = o.connect();
      Blocking end = new Blocking();
      ServiceRegistry registry = c.recipes().services();
      AtomicLong printed = new AtomicLong(-1);
      ServiceRegistry.Listing first = await(registry.instances(service));
      print(out, service, first, passing);
      printed.set(first.revision());
      Watch w =
          c.watchPrefix(
              ServiceRegistry.servicePrefix(service),
              first.revision() + 1,
              new WatchListener() {
                @Override
                public void onEvent(WatchEvent e) {
                  // One listing per revision: a registration writes several keys at once.
                  long rev = e.kv().modRevision();
                  if (rev <= printed.get()) {
                    return;
                  }
                  printed.set(rev);
                  registry
                      .instances(service)
                      .whenComplete(
                          (l, err) -> {
                            if (err != null) {
                              System.err.println("cairn: " + err.getMessage());
                              end.finish(Exit.of(err));
                            } else {
                              synchronized (out) {
                                print(out, service, l, passing);
                              }
                            }
                          });
                }

                @Override
                public void onError(CairnClientException error) {
                  System.err.println("cairn: the watch ended: " + error.getMessage());
                  end.finish(Exit.of(error));
                }
              });
      Runtime.getRuntime().addShutdownHook(new Thread(c::close, "cairn-services-stop"));
      int code = end.await();
      w.cancel();
      return code;
    }
  }

  static void print(Output out, String service, ServiceRegistry.Listing l, boolean passing) {
    ObjectNode doc = Output.object().put("service", service).put("revision", l.revision());
    ArrayNode a = doc.putArray("instances");
    StringBuilder t = new StringBuilder(service + " at revision " + l.revision() + ":");
    for (ServiceRegistry.Instance i : l.instances()) {
      if (passing && i.status() != ServiceRegistry.Status.PASSING) {
        continue;
      }
      ServiceRegistry.Registration r = i.registration();
      ObjectNode n = a.addObject();
      n.put("id", i.id());
      n.put("address", r.address());
      n.put("port", r.port());
      n.put("status", i.status().wire());
      ArrayNode tags = n.putArray("tags");
      r.tags().forEach(tags::add);
      ObjectNode meta = n.putObject("meta");
      r.meta().forEach(meta::put);
      t.append("\n  ")
          .append(i.id())
          .append("  ")
          .append(r.address())
          .append(':')
          .append(r.port())
          .append("  ")
          .append(i.status().wire())
          .append(r.tags().isEmpty() ? "" : "  " + String.join(",", r.tags()));
    }
    out.print(t.toString(), doc);
  }
}
