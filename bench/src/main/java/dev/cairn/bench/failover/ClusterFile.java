package dev.cairn.bench.failover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A cluster file: the JSON that says which processes make up a cluster under test, so that the
 * failover benchmark can find, kill and restart them. Two writers produce it: {@code bin/bench} for
 * the etcd and ZooKeeper clusters it starts, and {@code bin/cairn cluster up --dir DIR} for Cairn
 * ({@code DIR/cluster.json}).
 *
 * <pre>{@code
 * {"target": "etcd",                       // etcd | zookeeper | cairn (absent: cairn)
 *  "settings": {"election_timeout_ms": 1000, ...},   // echoed in the results, optional
 *  "members": [                            // or "nodes"
 *    {"name": "e1",                        // optional: member i is named "m<i+1>"
 *     "pid": 4242,
 *     "command": ["/usr/bin/etcd", "--name", "e1", ...],   // argv; a string is split on blanks
 *     "url": "http://127.0.0.1:12379",     // or http_url / httpUrl; ZooKeeper: "client": "host:port"
 *     "cluster_address": "...",            // or clusterAddress / address: how /v1/cluster names it
 *     "log": "/tmp/.../stdout.log",         // optional: a restarted member's output goes here
 *     "dir": "/work/dir"}]}                 // optional: working directory of the command
 * }</pre>
 *
 * Several spellings are read for Cairn's fields because its writer came after this reader; every
 * other field is kept as it is. After a restart the benchmark writes the new pid back ({@link
 * #replacePid}), so that whatever stops the cluster afterwards stops the running processes.
 */
public final class ClusterFile {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path path;
  private final ObjectNode root;
  private final List<Member> members;

  private ClusterFile(Path path, ObjectNode root, List<Member> members) {
    this.path = path;
    this.root = root;
    this.members = members;
  }

  /** Reads the cluster file at {@code path}. */
  public static ClusterFile read(Path path) throws IOException {
    JsonNode tree = JSON.readTree(path.toFile());
    if (!(tree instanceof ObjectNode root)) {
      throw new IOException(path + ": not a JSON object");
    }
    JsonNode list = root.has("members") ? root.get("members") : root.get("nodes");
    if (list == null || !list.isArray() || list.isEmpty()) {
      throw new IOException(path + ": no \"members\" (or \"nodes\") array");
    }
    List<Member> members = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      members.add(member(path, i, list.get(i)));
    }
    return new ClusterFile(path, root, members);
  }

  private static Member member(Path path, int i, JsonNode m) throws IOException {
    String where = path + ": member " + i;
    JsonNode pid = m.get("pid");
    if (pid == null || !pid.canConvertToLong() || pid.asLong() <= 0) {
      throw new IOException(where + ": no \"pid\"");
    }
    List<String> command = command(m.has("command") ? m.get("command") : m.get("command_line"));
    if (command.isEmpty()) {
      throw new IOException(where + ": no \"command\" to restart it with");
    }
    String endpoint = text(m, "url", "http_url", "httpUrl", "client");
    if (endpoint == null) {
      throw new IOException(where + ": no \"url\" (or \"client\" for ZooKeeper)");
    }
    String log = text(m, "log");
    return new Member(
        i,
        text(m, "name") != null ? text(m, "name") : "m" + (i + 1),
        pid.asLong(),
        command,
        endpoint,
        text(m, "cluster_address", "clusterAddress", "address"),
        log == null ? null : Path.of(log));
  }

  private static List<String> command(JsonNode node) {
    List<String> argv = new ArrayList<>();
    if (node == null) {
      return argv;
    }
    if (node.isArray()) {
      node.forEach(a -> argv.add(a.asText()));
    } else if (node.isTextual() && !node.asText().isBlank()) {
      argv.addAll(Arrays.asList(node.asText().trim().split("\\s+")));
    }
    return argv;
  }

  private static String text(JsonNode node, String... names) {
    for (String name : names) {
      JsonNode v = node.get(name);
      if (v != null && v.isTextual() && !v.asText().isEmpty()) {
        return v.asText();
      }
    }
    return null;
  }

  /** Where the file is. */
  public Path path() {
    return path;
  }

  /** The {@code target} field, or {@code cairn} when absent (Cairn's own file has none). */
  public String target() {
    String t = text(root, "target");
    return t == null ? "cairn" : t;
  }

  /** The members, in file order, with their current pids. */
  public synchronized List<Member> members() {
    return List.copyOf(members);
  }

  /** The member at {@code index}, with its current pid. */
  public synchronized Member member(int index) {
    return members.get(index);
  }

  /**
   * The {@code settings} object (the cluster's timeouts and versions, for the record), or empty.
   */
  public Map<String, Object> settings() {
    JsonNode s = root.get("settings");
    if (s == null || !s.isObject()) {
      return Map.of();
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> m = JSON.convertValue(s, LinkedHashMap.class);
    return m;
  }

  /** The working directory member {@code index} starts in, or {@code null} for this process's. */
  Path directory(int index) {
    String dir = text(arrayOfMembers().get(index), "dir");
    return dir == null ? null : Path.of(dir);
  }

  /**
   * Records that member {@code index} now runs as {@code pid}, in memory and in the file (written
   * whole to a temporary file, then moved over the old one).
   */
  public synchronized Member replacePid(int index, long pid) throws IOException {
    Member updated = members.get(index).withPid(pid);
    members.set(index, updated);
    ((ObjectNode) arrayOfMembers().get(index)).put("pid", pid);
    Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
    JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
    Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return updated;
  }

  private JsonNode arrayOfMembers() {
    return root.has("members") ? root.get("members") : root.get("nodes");
  }
}
