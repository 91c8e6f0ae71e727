package dev.cairn.cli;

import static dev.cairn.client.CairnClient.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.client.CairnClient;
import dev.cairn.client.Leadership;
import dev.cairn.client.Watch;
import dev.cairn.core.Bytes;
import dev.cairn.recipes.election.Election;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn elect NAME}: campaigns in election NAME and prints every change of leader (this
 * process's own win included) until stopped; on SIGINT/SIGTERM it resigns. With {@code --observe}
 * it only watches.
 */
@Command(
    name = "elect",
    mixinStandardHelpOptions = true,
    description = {
      "Campaign in election NAME and print each change of leader.",
      "Runs until stopped; resigns on SIGINT/SIGTERM. With --observe, only print the changes.",
      "Exit code 6 when this process's leadership was lost with its lease."
    })
final class ElectCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NAME")
  String name;

  @Option(names = "--value", defaultValue = "", description = "The value to announce as leader.")
  String value;

  @Option(names = "--observe", description = "Do not campaign; only print the changes.")
  boolean observe;

  @Option(
      names = "--ttl",
      defaultValue = "10s",
      converter = Cairn.DurationConverter.class,
      description = "The campaign's lease TTL (default: ${DEFAULT-VALUE}); kept alive meanwhile.")
  Duration ttl;

  @Override
  public Integer call() throws InterruptedException {
    Cairn o = Cairn.options();
    Output out = o.out();
    CairnClient c = o.connect();
    Blocking end = new Blocking();
    Watch w =
        c.recipes()
            .observe(
                name,
                obs -> {
                  Election.Leader l = obs.leader();
                  ObjectNode doc = Output.object().put("election", name);
                  doc.put("revision", obs.revision());
                  if (l == null) {
                    doc.putNull("leader");
                    out.print("no leader (revision " + obs.revision() + ")", doc);
                    return;
                  }
                  ObjectNode leader = doc.putObject("leader");
                  leader.put("key", l.key());
                  leader.put("fencing_token", l.fencingToken());
                  leader.put("lease", l.lease());
                  Output.value(leader, l.value());
                  out.print(
                      "leader: "
                          + Output.text(l.value())
                          + " (token "
                          + l.fencingToken()
                          + ", revision "
                          + obs.revision()
                          + ")",
                      doc);
                });
    AtomicBoolean stopped = new AtomicBoolean();
    Leadership[] mine = new Leadership[1];
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopped.set(true);
                  w.cancel();
                  Leadership l;
                  synchronized (mine) {
                    l = mine[0];
                  }
                  if (l != null) {
                    try {
                      l.close();
                    } catch (RuntimeException e) {
                      System.err.println("cairn: resigning failed: " + e.getMessage());
                    }
                  }
                  c.close();
                },
                "cairn-elect-resign"));
    if (!observe) {
      Leadership l =
          await(c.recipes().campaign(name, Bytes.utf8(value), ttl, Duration.ofDays(3650)));
      synchronized (mine) {
        mine[0] = l;
      }
      System.err.println("cairn: elected in " + name + " with token " + l.fencingToken());
      l.lost()
          .whenComplete(
              (v, e) -> {
                if (e != null && !stopped.get()) {
                  System.err.println("cairn: leadership lost: " + e.getMessage());
                  end.finish(Exit.LEASE_LOST);
                }
              });
    }
    return end.await();
  }
}
