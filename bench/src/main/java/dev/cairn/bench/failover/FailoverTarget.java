package dev.cairn.bench.failover;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A replicated system whose leader the failover benchmark kills: how to write to it as a client
 * does, and how to ask its members who leads and whether all of them are back. One implementation
 * per system ({@link EtcdClusterTarget}, {@link ZooKeeperEnsembleTarget}, {@link CairnTarget}); the
 * benchmark itself ({@link FailoverRun}) only kills and restarts processes and times
 * acknowledgements, so a new system plugs in with a class of this kind and a cluster file.
 *
 * <p>{@link #leader} and {@link #healthy} are called from the benchmark's thread only, several
 * times a second around a kill; they must answer within about a second even when a member is dead
 * (connection refused or a short timeout), never hang.
 */
public interface FailoverTarget extends AutoCloseable {

  /** {@code etcd}, {@code zookeeper} or {@code cairn}, recorded in results. */
  String name();

  /** The members, as the cluster file lists them (current pids). */
  List<Member> members();

  /**
   * Prepares the writes of {@code clients} clients (e.g. creates their znodes); called once, with
   * every member up, before the first client is opened.
   */
  void prepare(int clients) throws Exception;

  /** Client {@code index}'s own connections (sessions), writing key {@code index}. */
  WriteClient client(int index) throws Exception;

  /**
   * The index in {@link #members} of the member that leads now, as the members other than {@code
   * skip} (-1: none skipped; the benchmark skips the member it has just killed or stopped, whose
   * probe would only time out) report it; -1 when none does or they disagree (during an election).
   */
  int leader(int skip);

  /**
   * Whether every member runs, answers, and follows one leader they agree on: the cluster is whole
   * again after a restart.
   */
  boolean healthy();

  /** How the clients talk to the system (library, timeouts), for the results. */
  Map<String, Object> clientSettings();

  /** Probes time out after this long (a dead member must not stall the benchmark). */
  Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

  @Override
  void close();
}
