package dev.cairn.cli;

import static dev.cairn.client.CairnClient.await;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.client.CairnClient;
import dev.cairn.client.Leases;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn lease grant|keepalive|revoke|list}. */
@Command(
    name = "lease",
    mixinStandardHelpOptions = true,
    description = "Grant, keep alive, revoke and list leases.",
    subcommands = {
      LeaseCommand.Grant.class,
      LeaseCommand.KeepAlive.class,
      LeaseCommand.Revoke.class,
      LeaseCommand.ListLeases.class
    })
final class LeaseCommand {
  @Command(
      name = "grant",
      mixinStandardHelpOptions = true,
      description = {
        "Grant a lease of TTL seconds and print its id.",
        "Nothing keeps it alive after this command: run 'cairn lease keepalive ID' (or bind",
        "keys and let it expire)."
      })
  static final class Grant implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TTL", description = "Seconds, at least 1.")
    long ttl;

    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        Leases.Lease l = await(c.leases().grantUnkept(Duration.ofSeconds(ttl)));
        o.out()
            .print(
                "lease " + l.id() + " granted with TTL " + l.ttlSeconds() + "s",
                Output.object().put("id", l.id()).put("ttl", l.ttlSeconds()));
        return Exit.OK;
      }
    }
  }

  @Command(
      name = "keepalive",
      mixinStandardHelpOptions = true,
      description = {
        "Keep lease ID alive until stopped (or renew it once with --once).",
        "Exit code 1 when the lease is gone (expired or revoked)."
      })
  static final class KeepAlive implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID")
    long id;

    @Option(names = "--once", description = "Renew once and exit.")
    boolean once;

    @Override
    public Integer call() throws InterruptedException {
      Cairn o = Cairn.options();
      CairnClient c = o.connect();
      try {
        long ttl = await(c.leases().keepAliveOnce(id));
        o.out()
            .print(
                "lease " + id + " renewed, TTL " + ttl + "s",
                Output.object().put("id", id).put("ttl", ttl));
        if (once) {
          return Exit.OK;
        }
        Blocking end = new Blocking();
        c.leases()
            .onLoss(
                lost -> {
                  System.err.println("cairn: " + lost.getMessage());
                  end.finish(Exit.NO);
                });
        c.leases().keepAlive(new Leases.Lease(id, ttl));
        Runtime.getRuntime().addShutdownHook(new Thread(c::close, "cairn-keepalive-stop"));
        return end.await();
      } finally {
        if (once) {
          c.close();
        }
      }
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = "Revoke lease ID, deleting every key bound to it.")
  static final class Revoke implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID")
    long id;

    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        long deleted = await(c.leases().revoke(id));
        o.out()
            .print(
                "lease " + id + " revoked, " + deleted + " key(s) deleted",
                Output.object().put("id", id).put("deleted", deleted));
        return Exit.OK;
      }
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Print every lease's id, one a line.")
  static final class ListLeases implements Callable<Integer> {
    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        List<Long> ids = await(c.leases().list());
        ObjectNode doc = Output.object();
        ArrayNode a = doc.putArray("leases");
        ids.forEach(a::add);
        o.out()
            .print(
                ids.isEmpty()
                    ? null
                    : ids.stream().map(String::valueOf).collect(Collectors.joining("\n")),
                doc);
        return Exit.OK;
      }
    }
  }
}
