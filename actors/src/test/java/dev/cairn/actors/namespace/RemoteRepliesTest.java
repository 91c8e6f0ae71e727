package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.actors.Wire;
import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Reply;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The size bound that spares the leader a second serialization must never be below the truth. */
class RemoteRepliesTest {
  private static ActorSystem system;

  @BeforeAll
  static void start() {
    system = Wire.system("remote-replies");
  }

  @AfterAll
  static void stop() {
    TestKit.shutdownActorSystem(system);
  }

  private static long serialized(Reply r) {
    return SerializationExtension.get(system).serialize(r).get().length;
  }

  private static List<KeyValue> kvs(int n, String keyPrefix, int valueBytes) {
    List<KeyValue> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          new KeyValue(
              keyPrefix + i,
              Bytes.wrap(new byte[valueBytes]),
              Long.MAX_VALUE - i,
              Long.MAX_VALUE,
              Long.MAX_VALUE,
              Long.MAX_VALUE));
    }
    return out;
  }

  @Test
  void theBoundIsNeverBelowTheSerializedSize() {
    List<Reply> replies =
        List.of(
            new Reply.RangeReply(9, kvs(50, "k/", 0), 50, true),
            new Reply.RangeReply(9, kvs(20, "ключ/€/", 300), 20, false),
            new Reply.RangeReply(9, List.of(), 0, false),
            new Reply.DeleteReply(9, 30, kvs(30, "d/", 17)),
            new Reply.PutReply(9, kvs(1, "p", 5).get(0), kvs(1, "p", 4).get(0)),
            new Reply.PutReply(9, kvs(1, "p", 5).get(0), null),
            new Reply.TxnReply(
                9,
                true,
                List.of(
                    new Reply.RangeReply(9, kvs(10, "t/", 100), 10, false),
                    new Reply.DeleteReply(9, 2, kvs(2, "t/", 1)),
                    new Reply.PutReply(9, kvs(1, "t", 1).get(0), null))));
    for (Reply r : replies) {
      assertThat(RemoteReplies.bound(r)).as("bound of %s", r).isGreaterThanOrEqualTo(serialized(r));
    }
  }

  @Test
  void aReplyTheBoundDoesNotCoverIsMeasured() {
    assertThat(RemoteReplies.bound(new Reply.LeaseListReply(9, List.of()))).isEqualTo(-1);
    assertThat(
            RemoteReplies.bound(
                new Reply.TxnReply(9, true, List.of(new Reply.LeaseListReply(9, List.of())))))
        .isEqualTo(-1);
  }
}
