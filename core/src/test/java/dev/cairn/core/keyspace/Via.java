package dev.cairn.core.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.Rejection;
import java.util.List;

/** Runs a single put or delete either as its own command or as the only op of a transaction. */
enum Via {
  DIRECT,
  TXN;

  Command command(Command.TxnOp op) {
    if (this == DIRECT) {
      return (Command) op;
    }
    return new Command.Txn(List.of(), List.of(op), List.of());
  }

  Reply run(Harness h, Command.TxnOp op) {
    Reply r = h.ok(command(op));
    if (this == DIRECT) {
      return r;
    }
    assertThat(r).isInstanceOf(Reply.TxnReply.class);
    Reply.TxnReply t = (Reply.TxnReply) r;
    assertThat(t.succeeded()).isTrue();
    assertThat(t.responses()).hasSize(1);
    assertThat(t.responses().get(0).revision()).isEqualTo(t.revision());
    return t.responses().get(0);
  }

  Reply.PutReply put(Harness h, Command.Put p) {
    Reply r = run(h, p);
    assertThat(r).isInstanceOf(Reply.PutReply.class);
    return (Reply.PutReply) r;
  }

  Reply.PutReply put(Harness h, String key, String value) {
    return put(h, Command.Put.of(key, value));
  }

  Reply.DeleteReply delete(Harness h, Command.Delete d) {
    Reply r = run(h, d);
    assertThat(r).isInstanceOf(Reply.DeleteReply.class);
    return (Reply.DeleteReply) r;
  }

  Rejection rejected(Harness h, Command.TxnOp op) {
    return h.rejected(command(op));
  }
}
