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
      ServicesCommand.ListServices.class,
      ServicesCommand.WatchService.class
    })
final class ServicesCommand {
  @Command(
      name = "register",
      mixinStandardHelpOptions = true,
      description = {
        "Register (or replace) instance ID of SERVICE.",
        "It has no checks (so it is passing). With --lease it goes when the lease ends;",
        "otherwise it stays until deregistered."
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

    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        long rev =
            await(
                c.recipes()
                    .services()
                    .register(
                        service,
                        id,
                        new ServiceRegistry.Registration(
                            address, port, tags, meta, List.of(), 0, lease)));
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
        return l.instances().isEmpty() ? Exit.NO : Exit.OK;
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
