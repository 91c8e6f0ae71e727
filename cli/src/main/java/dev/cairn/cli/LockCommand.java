package dev.cairn.cli;

import static dev.cairn.client.CairnClient.await;

import dev.cairn.client.CairnClient;
import dev.cairn.client.HeldLock;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn lock NAME -- COMMAND…}: runs COMMAND while holding lock NAME, as {@code consul lock}
 * does. The lock is held by a lease this process keeps alive; COMMAND gets the grant's fencing
 * token in {@code CAIRN_FENCING_TOKEN}. The lock is released (and its lease revoked) when COMMAND
 * exits or this process is stopped by a signal (COMMAND is then stopped first); if the lease is
 * lost while COMMAND runs, COMMAND is stopped and the exit code is 6. Otherwise the exit code is
 * COMMAND's.
 */
@Command(
    name = "lock",
    mixinStandardHelpOptions = true,
    description = {
      "Run COMMAND while holding lock NAME.",
      "COMMAND gets the fencing token in CAIRN_FENCING_TOKEN (and the lock's key in",
      "CAIRN_LOCK_KEY). The lock is released when",
      "COMMAND exits or on SIGINT/SIGTERM. Exits with COMMAND's code; 1 when --wait ran out,",
      "6 when the lock's lease was lost (COMMAND is then stopped), 127 when COMMAND cannot start."
    })
final class LockCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NAME")
  String name;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "COMMAND", description = "After --.")
  List<String> command;

  @Option(
      names = "--ttl",
      defaultValue = "10s",
      converter = Cairn.DurationConverter.class,
      description = "The lock's lease TTL (default: ${DEFAULT-VALUE}); kept alive while held.")
  Duration ttl;

  @Option(
      names = "--wait",
      converter = Cairn.DurationConverter.class,
      description = "Give up after waiting this long for the lock (default: wait for ever).")
  Duration wait;

  @Override
  public Integer call() throws InterruptedException {
    Cairn o = Cairn.options();
    CairnClient c = o.connect();
    HeldLock held;
    try {
      held = await(c.recipes().lock(name, ttl, wait == null ? Duration.ofDays(3650) : wait));
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable release =
        () -> {
          if (released.compareAndSet(false, true)) {
            try {
              held.close();
            } catch (RuntimeException e) {
              System.err.println("cairn: releasing the lock failed: " + e.getMessage());
            } finally {
              c.close();
            }
          }
        };
    ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
    pb.environment().put("CAIRN_FENCING_TOKEN", Long.toString(held.fencingToken()));
    pb.environment().put("CAIRN_LOCK_KEY", held.key());
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      System.err.println("cairn: cannot run " + command.get(0) + ": " + e.getMessage());
      release.run();
      return 127;
    }
    Thread hook =
        new Thread(
            () -> {
              stop(p);
              release.run();
            },
            "cairn-lock-release");
    Runtime.getRuntime().addShutdownHook(hook);
    AtomicBoolean lost = new AtomicBoolean();
    held.lost()
        .whenComplete(
            (v, e) -> {
              if (e != null && !released.get()) {
                lost.set(true);
                System.err.println("cairn: the lock was lost: " + e.getMessage());
                p.destroy();
              }
            });
    int code = p.waitFor();
    release.run();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // a signal arrived meanwhile: the hook finds everything released
    }
    return lost.get() ? Exit.LEASE_LOST : code;
  }

  /** Stops COMMAND: SIGTERM, then SIGKILL if it is still running after 10 s. */
  private static void stop(Process p) {
    if (!p.isAlive()) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }
}
