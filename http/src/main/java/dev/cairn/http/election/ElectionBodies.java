package dev.cairn.http.election;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.cairn.recipes.election.Election;
import java.util.List;

/** The JSON bodies of {@code /v1/elections}. */
public final class ElectionBodies {
  private ElectionBodies() {}

  /**
   * {@code POST /v1/elections/{name}}: the candidate's {@code value} (UTF-8), exactly one of {@code
   * ttl} (seconds; a lease is granted for the candidate) and {@code lease} (an existing lease id);
   * {@code timeout_ms} how long to wait to be elected.
   */
  record CampaignRequest(String value, Long ttl, Long lease, Long timeoutMs) {}

  /** {@code PUT /v1/elections/{name}/proclaim}: the leader's token and its new value. */
  record ProclaimRequest(Long token, String value) {}

  /** A leader: its key, its fencing token (the key's create revision), lease and value. */
  record ElectionLeader(String name, String key, long fencingToken, long lease, String value) {
    static ElectionLeader of(Election.Leader l) {
      return new ElectionLeader(
          l.name(), l.key(), l.fencingToken(), l.lease(), l.value().utf8String());
    }
  }

  /**
   * {@code DELETE}'s answer: the leadership {@code fencing_token} of election {@code name} ended.
   */
  record ElectionResigned(String name, long fencingToken) {}

  record ElectionCandidate(String key, long lease, long sinceRevision) {}

  /**
   * {@code GET}'s answer, and the data of each observation event; {@code leader} is null (written
   * as such) when nobody leads.
   */
  record ElectionStatus(
      String name,
      @JsonInclude(JsonInclude.Include.ALWAYS) ElectionLeader leader,
      List<ElectionCandidate> candidates,
      long revision) {
    static ElectionStatus of(String name, Election.State s) {
      return new ElectionStatus(
          name,
          s.leader() == null ? null : ElectionLeader.of(s.leader()),
          s.candidates().stream()
              .map(c -> new ElectionCandidate(c.key(), c.lease(), c.sinceRevision()))
              .toList(),
          s.revision());
    }
  }

  /** One event of an observation stream: the leader (null when none) as of {@code revision}. */
  record ElectionObservation(
      String name, @JsonInclude(JsonInclude.Include.ALWAYS) ElectionLeader leader, long revision) {
    static ElectionObservation of(String name, Election.Observation o) {
      return new ElectionObservation(
          name, o.leader() == null ? null : ElectionLeader.of(o.leader()), o.revision());
    }
  }
}
