package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnClientException;
import dev.cairn.client.Watch;
import dev.cairn.client.WatchListener;
import dev.cairn.core.keyspace.WatchEvent;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn watch}: prints a key's (or a prefix's) changes as they happen, one line each, until
 * stopped. A dropped connection or a restarted node is no end: the client resumes from the revision
 * after the last one printed, so no change is missed or printed twice.
 */
@Command(
    name = "watch",
    mixinStandardHelpOptions = true,
    description = {
      "Print KEY's changes as they happen, until stopped.",
      "One line each (PUT key value / DELETE key); resumes by itself after a dropped",
      "connection, with no gap and no duplicate.",
      "Exit code 1 when the resume point was compacted."
    })
final class WatchCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "KEY")
  String key;

  @Option(names = "--prefix", description = "Every key starting with KEY.")
  boolean prefix;

  @Option(
      names = "--from",
      paramLabel = "R",
      description = "Start at revision R, replaying the changes since (default: from now on).")
  long from;

  @Option(
      names = "--count",
      paramLabel = "N",
      description = "Stop after N changes (default: never).")
  long count;

  @Override
  public Integer call() throws InterruptedException {
    Cairn o = Cairn.options();
    Output out = o.out();
    Blocking end = new Blocking();
    AtomicLong seen = new AtomicLong();
    CairnClient c = o.connect();
    WatchListener listener =
        new WatchListener() {
          @Override
          public void onEvent(WatchEvent e) {
            out.print(Output.eventText(e), Output.event(e));
            if (count > 0 && seen.incrementAndGet() >= count) {
              end.finish(Exit.OK);
            }
          }

          @Override
          public void onError(CairnClientException error) {
            System.err.println("cairn: the watch ended: " + error.getMessage());
            end.finish(Exit.of(error));
          }
        };
    Watch w = prefix ? c.watchPrefix(key, from, listener) : c.watch(key, from, listener);
    Runtime.getRuntime().addShutdownHook(new Thread(c::close, "cairn-watch-stop"));
    int code = end.await();
    w.cancel();
    return code;
  }
}
