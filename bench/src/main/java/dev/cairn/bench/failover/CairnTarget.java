package dev.cairn.bench.failover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.http.HttpCall;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Cairn cluster as {@code bin/cairn cluster up --dir DIR} leaves it: the members come from {@code
 * DIR/cluster.json} (each node's pid, command line, HTTP URL and cluster address; see {@link
 * ClusterFile} for the spellings read). Writes are {@code PUT /v1/kv/<key>} in namespace {@code
 * default} to the client's current node (any node accepts any request and forwards it to the
 * namespace's leader); on a failure the client moves to the next node. The leader of {@code
 * default} is the member whose cluster address {@code GET /v1/cluster} names in {@code
 * leaders.default}; the cluster is whole when every node answers {@code /ready} with 200 and lists
 * every member {@code Up} and reachable.
 */
public final class CairnTarget implements FailoverTarget {

  /** The namespace whose leader is killed. */
  public static final String NAMESPACE = "default";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OCTETS = "application/octet-stream";

  private final List<Member> members;
  private final HttpMembers http;
  private final String keyPrefix;
  private final String value;

  /**
   * @param keyPrefix client i writes key {@code keyPrefix + "c" + i}
   * @param valueSize bytes of each value
   */
  public CairnTarget(List<Member> members, String keyPrefix, int valueSize) {
    this.members = List.copyOf(members);
    for (Member m : members) {
      if (m.clusterAddress() == null) {
        throw new IllegalArgumentException(
            m.name() + ": the cluster file gives no cluster address to match the leader with");
      }
    }
    this.http = new HttpMembers(members);
    this.keyPrefix = keyPrefix;
    this.value = "x".repeat(Math.max(0, valueSize - 20));
  }

  @Override
  public String name() {
    return "cairn";
  }

  @Override
  public List<Member> members() {
    return members;
  }

  @Override
  public void prepare(int clients) {
    // keys are created by their first put
  }

  @Override
  public WriteClient client(int index) {
    String path = "/v1/kv/" + keyPrefix + "c" + index;
    return http.client(
        index,
        seq ->
            HttpCall.put(
                path,
                (String.format("%020d", seq) + value).getBytes(StandardCharsets.US_ASCII),
                OCTETS),
        answer -> answer.status() >= 200 && answer.status() < 300);
  }

  /** What one node says of the cluster. */
  record View(String leader, int upAndReachable, int listed) {}

  /** Reads a {@code GET /v1/cluster} answer. */
  static View view(String body) throws Exception {
    JsonNode n = JSON.readTree(body);
    String leader = n.path("leaders").path(NAMESPACE).asText("");
    int up = 0;
    int listed = 0;
    for (JsonNode m : n.path("members")) {
      listed++;
      if ("Up".equalsIgnoreCase(m.path("status").asText()) && m.path("reachable").asBoolean(true)) {
        up++;
      }
    }
    return new View(leader.isEmpty() ? null : leader, up, listed);
  }

  /**
   * The index of the member whose cluster address is {@code address}, or -1. Addresses match when
   * equal or when one ends with the other (a bare {@code host:port} against {@code
   * pekko://cairn@host:port}).
   */
  static int memberAt(List<Member> members, String address) {
    if (address == null) {
      return -1;
    }
    for (Member m : members) {
      String a = m.clusterAddress();
      if (a.equals(address) || a.endsWith(address) || address.endsWith(a)) {
        return m.index();
      }
    }
    return -1;
  }

  private View view(int i) {
    try {
      HttpAnswer a = http.probe(i, HttpCall.get("/v1/cluster"));
      return a.ok() ? view(a.text()) : null;
    } catch (Exception e) {
      return null;
    }
  }

  @Override
  public int leader(int skip) {
    String leader = null;
    for (int i = 0; i < members.size(); i++) {
      if (i == skip) {
        continue;
      }
      View v = view(i);
      if (v == null) {
        continue;
      }
      if (v.leader() == null || (leader != null && !leader.equals(v.leader()))) {
        return -1;
      }
      leader = v.leader();
    }
    return memberAt(members, leader);
  }

  @Override
  public boolean healthy() {
    String leader = null;
    for (int i = 0; i < members.size(); i++) {
      try {
        if (!http.probe(i, HttpCall.get("/ready")).ok()) {
          return false;
        }
      } catch (Exception e) {
        return false;
      }
      View v = view(i);
      if (v == null
          || v.leader() == null
          || v.upAndReachable() < members.size()
          || (leader != null && !leader.equals(v.leader()))) {
        return false;
      }
      leader = v.leader();
    }
    return memberAt(members, leader) >= 0;
  }

  @Override
  public Map<String, Object> clientSettings() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("client", "http (netty)");
    m.put("namespace", NAMESPACE);
    m.put("write", "PUT /v1/kv/{key} to the client's node; on failure the next node");
    return m;
  }

  @Override
  public void close() {
    http.close();
  }
}
