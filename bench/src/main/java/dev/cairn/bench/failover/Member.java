package dev.cairn.bench.failover;

import java.nio.file.Path;
import java.util.List;

/**
 * One member process of a cluster under test, as its cluster file describes it.
 *
 * @param index position in the cluster file's {@code members} array
 * @param name a short name for the results ({@code e1}, {@code zk2}, a node name)
 * @param pid the process id of the running member
 * @param command the command line that starts it again with its data (argv, not a shell line)
 * @param endpoint where clients reach it: an HTTP base URL ({@code http://127.0.0.1:2379}) or, for
 *     ZooKeeper, {@code host:port}
 * @param clusterAddress the address by which the cluster names it when it says who leads (Cairn's
 *     cluster address), or {@code null} when the target identifies members otherwise
 * @param log where a restarted member's standard output and error are appended, or {@code null} to
 *     discard them
 */
public record Member(
    int index,
    String name,
    long pid,
    List<String> command,
    String endpoint,
    String clusterAddress,
    Path log) {

  public Member {
    command = List.copyOf(command);
  }

  /** This member with process id {@code newPid}, after a restart. */
  public Member withPid(long newPid) {
    return new Member(index, name, newPid, command, endpoint, clusterAddress, log);
  }
}
