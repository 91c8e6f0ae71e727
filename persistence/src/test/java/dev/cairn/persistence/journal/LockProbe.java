package dev.cairn.persistence.journal;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Child-process main for the lock test: tries to open the journal in {@code args[0]} and reports
 * how it went.
 */
public final class LockProbe {

  private LockProbe() {}

  public static void main(String[] args) throws ClassNotFoundException {
    Class.forName(
        ForcedLog.class.getName()); // class and logging initialisation are not part of the timing
    long started = System.nanoTime();
    int status;
    try {
      ForcedLog.open(JournalSettings.defaults(Path.of(args[0])).withName("lock-probe")).close();
      System.out.println("LOCK-PROBE OPENED");
      status = 0;
    } catch (JournalLockedException e) {
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      System.out.println("LOCK-PROBE LOCKED " + ms + " " + e.getMessage());
      status = 3;
    } catch (Exception e) {
      System.out.println("LOCK-PROBE FAILED " + e);
      status = 4;
    }
    System.out.flush();
    System.exit(status);
  }
}
