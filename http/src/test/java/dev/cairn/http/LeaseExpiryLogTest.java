package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Many leases expiring together (a fleet of clients gone at once) make one summary line (two if the
 * burst straddles the one-second mark), not one per lease, and count in {@code
 * cairn_lease_expired_total}.
 */
class LeaseExpiryLogTest {
  private static final int LEASES = 40;

  @Test
  @Timeout(120)
  void leasesExpiringTogetherAreSummarisedInAFewLines() {
    Logger leader = (Logger) LoggerFactory.getLogger("dev.cairn.actors.namespace.NamespaceLeader");
    Level before = leader.getLevel();
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    leader.addAppender(appender);
    leader.setLevel(Level.INFO);
    try (TestServer s = TestServer.start()) {
      long t0 = System.nanoTime();
      for (int i = 0; i < LEASES; i++) {
        long lease = s.grant(1);
        s.putKey("expiry/k" + i, "v", lease).ok();
      }
      // The leases expire as they were granted, over this long: one line per second of it at most.
      long grantingSeconds = Duration.ofNanos(System.nanoTime() - t0).toSeconds();
      TestServer.await(Duration.ofSeconds(60), "every key gone", () -> s.count("expiry/") == 0);
      Pattern line =
          Pattern.compile("namespace default: (\\d+) lease\\(s\\) expired .* deleting (\\d+) key");
      TestServer.await(
          Duration.ofSeconds(30), "the expiry lines", () -> sum(appender.list, line, 1) == LEASES);
      long lines =
          List.copyOf(appender.list).stream()
              .filter(e -> line.matcher(e.getFormattedMessage()).find())
              .count();
      assertThat(lines).as("lines for %d leases", LEASES).isLessThanOrEqualTo(2 + grantingSeconds);
      assertThat(sum(appender.list, line, 2)).isEqualTo(LEASES);
      String metrics = s.get("/metrics").text();
      Matcher m = Pattern.compile("cairn_lease_expired_total ([0-9.E]+)").matcher(metrics);
      assertThat(m.find()).as("cairn_lease_expired_total in /metrics").isTrue();
      assertThat(Double.parseDouble(m.group(1))).isGreaterThanOrEqualTo(LEASES);
    } finally {
      leader.detachAppender(appender);
      leader.setLevel(before);
    }
  }

  private static long sum(List<ILoggingEvent> events, Pattern p, int group) {
    long n = 0;
    for (ILoggingEvent e : List.copyOf(events)) {
      Matcher m = p.matcher(e.getFormattedMessage());
      if (m.find()) {
        n += Long.parseLong(m.group(group));
      }
    }
    return n;
  }
}
