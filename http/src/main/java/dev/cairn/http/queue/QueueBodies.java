package dev.cairn.http.queue;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.cairn.core.Bytes;
import dev.cairn.recipes.queue.Queue;
import java.util.Base64;
import java.util.List;

/** The JSON bodies of {@code /v1/queues}. */
public final class QueueBodies {
  private QueueBodies() {}

  /** {@code POST /v1/queues/{queue}}: the item's value, as text. */
  record QueuePushRequest(String value) {}

  /** An item pushed: {@code id} is its create revision, which orders the queue. */
  record QueuePushed(String name, long id, String key, long revision) {}

  /**
   * {@code POST /v1/queues/{queue}/take}: exactly one of {@code ttl} (seconds; a lease is granted
   * for the claim) and {@code lease}; {@code timeout_ms} how long to wait for an item.
   */
  record QueueTakeRequest(Long ttl, Long lease, Long timeoutMs) {}

  /** An item taken, claimed by {@code lease} until acked with {@code token} or the lease ends. */
  record QueueDelivery(
      String name,
      long id,
      String key,
      String value,
      String encoding,
      long token,
      long lease,
      String claim) {
    static QueueDelivery of(Queue.Delivery d) {
      return new QueueDelivery(
          d.name(),
          d.id(),
          d.key(),
          QueueBodies.text(d.value()),
          QueueBodies.encoding(d.value()),
          d.token(),
          d.lease(),
          d.claim());
    }
  }

  /** {@code DELETE …/claims/{id}}'s answer: item {@code id} is done and gone. */
  record QueueAcked(String name, long id, long token, long revision) {}

  record QueueClaim(long token, long lease) {}

  /** An item in the queue; {@code claim} is null (written as such) while takers can see it. */
  record QueueItem(
      long id,
      String key,
      String value,
      String encoding,
      @JsonInclude(JsonInclude.Include.ALWAYS) QueueClaim claim) {}

  /** {@code GET}'s answer: {@code length} items, of which {@code claimed} are claimed. */
  record QueueStatus(
      String name, long length, long claimed, long visible, List<QueueItem> items, long revision) {
    static QueueStatus of(String name, Queue.State s) {
      return new QueueStatus(
          name,
          s.length(),
          s.claimed(),
          s.length() - s.claimed(),
          s.items().stream()
              .map(
                  i ->
                      new QueueItem(
                          i.id(),
                          i.key(),
                          QueueBodies.text(i.value()),
                          QueueBodies.encoding(i.value()),
                          i.claim() == null
                              ? null
                              : new QueueClaim(i.claim().token(), i.claim().lease())))
              .toList(),
          s.revision());
    }
  }

  /** The value as UTF-8 text, or base64 when it is not valid UTF-8 (as the kv API writes it). */
  static String text(Bytes value) {
    String s = value.utf8OrNull();
    return s != null ? s : Base64.getEncoder().encodeToString(value.unsafeArray());
  }

  static String encoding(Bytes value) {
    return value.utf8OrNull() != null ? "utf-8" : "base64";
  }
}
