package dev.cairn.bench.failover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.peers.EtcdTarget;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An etcd cluster through its JSON gateway on every member: writes are {@code POST <api>/kv/put} to
 * the client's current member (a member without a leader refuses at once with "no leader"; a
 * follower forwards to the leader), and who leads comes from {@code POST <api>/maintenance/status}
 * on each member, whose answer carries the member's own id ({@code header.member_id}) and the
 * leader's ({@code leader}).
 */
public final class EtcdClusterTarget implements FailoverTarget {

  private static final String JSON_TYPE = "application/json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<Member> members;
  private final HttpMembers http;
  private final String api;
  private final String keyPrefix;
  private final String value;

  /** Member ids as each member reported its own, kept to name a dead member still named leader. */
  private final String[] memberIds;

  /**
   * @param apiPrefix the gateway prefix ({@code /v3}), or {@code null} to ask the first member
   * @param keyPrefix client i writes key {@code keyPrefix + "c" + i}
   * @param valueSize bytes of each value
   */
  public EtcdClusterTarget(List<Member> members, String apiPrefix, String keyPrefix, int valueSize)
      throws Exception {
    this.members = List.copyOf(members);
    this.http = new HttpMembers(members);
    this.memberIds = new String[members.size()];
    this.keyPrefix = keyPrefix;
    this.value = "x".repeat(Math.max(0, valueSize - 20));
    try {
      this.api = apiPrefix != null ? apiPrefix : EtcdTarget.detectApiPrefix(http.transport(0));
    } catch (Exception e) {
      http.close();
      throw e;
    }
  }

  @Override
  public String name() {
    return "etcd";
  }

  @Override
  public List<Member> members() {
    return members;
  }

  @Override
  public void prepare(int clients) {
    // etcd creates keys on first put
  }

  @Override
  public WriteClient client(int index) {
    Base64.Encoder b64 = Base64.getEncoder();
    String key = b64.encodeToString((keyPrefix + "c" + index).getBytes(StandardCharsets.UTF_8));
    String path = api + "/kv/put";
    return http.client(
        index,
        seq -> {
          String v = String.format("%020d", seq) + value;
          return HttpCall.post(
              path,
              "{\"key\":\""
                  + key
                  + "\",\"value\":\""
                  + b64.encodeToString(v.getBytes(StandardCharsets.US_ASCII))
                  + "\"}",
              JSON_TYPE);
        },
        answer -> answer.ok() && answer.text().contains("\"header\""));
  }

  /** One member's view: its own id and its leader's ("0" or absent: none). */
  record Status(String memberId, String leaderId) {
    boolean hasLeader() {
      return leaderId != null && !leaderId.isEmpty() && !"0".equals(leaderId);
    }
  }

  /** Reads a {@code maintenance/status} answer. */
  static Status status(String body) throws Exception {
    JsonNode n = JSON.readTree(body);
    return new Status(n.path("header").path("member_id").asText(""), n.path("leader").asText(""));
  }

  private Status status(int i) {
    try {
      HttpAnswer a = http.probe(i, HttpCall.post(api + "/maintenance/status", "{}", JSON_TYPE));
      if (!a.ok()) {
        return null;
      }
      Status s = status(a.text());
      if (!s.memberId().isEmpty()) {
        memberIds[i] = s.memberId();
      }
      return s;
    } catch (Exception e) {
      return null;
    }
  }

  @Override
  public int leader(int skip) {
    return agreedLeader(skip);
  }

  @Override
  public boolean healthy() {
    return agreedLeader(-2) >= 0;
  }

  /**
   * The leader the answering members other than {@code skip} agree on, or -1; with {@code skip} -2,
   * every member must answer.
   */
  private int agreedLeader(int skip) {
    String leader = null;
    for (int i = 0; i < members.size(); i++) {
      if (i == skip) {
        continue;
      }
      Status s = status(i);
      if (s == null) {
        if (skip == -2) {
          return -1;
        }
        continue;
      }
      if (!s.hasLeader() || (leader != null && !leader.equals(s.leaderId()))) {
        return -1;
      }
      leader = s.leaderId();
    }
    for (int i = 0; leader != null && i < memberIds.length; i++) {
      if (leader.equals(memberIds[i])) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public Map<String, Object> clientSettings() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("client", "http-json-gateway " + api + " (netty)");
    m.put("write", "POST " + api + "/kv/put to the client's member; on failure the next member");
    return m;
  }

  @Override
  public void close() {
    http.close();
  }
}
