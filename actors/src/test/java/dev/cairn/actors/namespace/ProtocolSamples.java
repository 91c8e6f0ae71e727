package dev.cairn.actors.namespace;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Rejection;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Compare;
import dev.cairn.core.keyspace.Event;
import dev.cairn.core.keyspace.Keyspace;
import dev.cairn.core.keyspace.KeyspaceState;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.core.keyspace.WatchEvent;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;

/**
 * One instance of every message type of the namespace protocols, and the concrete types each sealed
 * family permits, so tests can prove every type is covered.
 */
final class ProtocolSamples {
  private ProtocolSamples() {}

  /** The sealed roots of every family that crosses an actor boundary in this package. */
  static final List<Class<?>> FAMILIES =
      List.of(
          NamespaceLeader.Request.class,
          NamespaceLeader.WatchRefusal.class,
          NamespaceLeader.ReplicaUpdate.class,
          NamespaceRegistry.Request.class,
          NamespaceRegistry.RegistryReply.class,
          NamespaceRegistry.Change.class,
          Command.class,
          Read.class,
          Reply.class);

  /** Records that cross a boundary without belonging to a family. */
  static final List<Class<?>> ENVELOPES =
      List.of(Namespaces.Envelope.class, NamespaceLeader.NotExecuted.class);

  /** Every concrete (non-interface) type {@code root} permits, transitively. */
  static Set<Class<?>> concrete(Class<?> root) {
    Set<Class<?>> out = new LinkedHashSet<>();
    if (!root.isSealed()) {
      out.add(root);
      return out;
    }
    for (Class<?> c : root.getPermittedSubclasses()) {
      out.addAll(concrete(c));
    }
    return out;
  }

  /** Every concrete type of {@link #FAMILIES} and {@link #ENVELOPES}. */
  static Set<Class<?>> allTypes() {
    Set<Class<?>> out = new LinkedHashSet<>();
    FAMILIES.forEach(f -> out.addAll(concrete(f)));
    out.addAll(ENVELOPES);
    return out;
  }

  static final Bytes BINARY = Bytes.wrap(new byte[] {0, (byte) 0xff, (byte) 0xc3, 0x28});

  static final KeyValue KV = new KeyValue("k", BINARY, 3, 5, 2, 7);

  /** One request of each concrete type; watches name {@code subscriber}. */
  static List<NamespaceLeader.Request> requests(ActorRef subscriber) {
    return List.of(
        new NamespaceLeader.Write(new Command.Put("k", BINARY, 0, true)),
        new NamespaceLeader.Query(Read.Range.prefix("a/")),
        new NamespaceLeader.KeepAlive(7),
        new NamespaceLeader.KeepAliveMany(List.of(7L, 8L)),
        new NamespaceLeader.LeaseTimeToLive(7),
        new NamespaceLeader.Progress(),
        new NamespaceLeader.Subscribe(1, "a/", "a0", 0, subscriber),
        new NamespaceLeader.Unsubscribe(subscriber, 1),
        new NamespaceLeader.WatchProgress(subscriber),
        new NamespaceLeader.Replicate(4, subscriber));
  }

  static List<Command> commands() {
    return List.of(
        new Command.Put("k", BINARY, 7, true),
        new Command.Delete("a", "b", true),
        new Command.Txn(
            List.of(
                Compare.value("k", Compare.Op.EQUAL, BINARY),
                Compare.number("k", Compare.Target.VERSION, Compare.Op.GREATER, 2)),
            List.of(Command.Put.of("k", "v"), Command.Delete.key("j"), Read.Range.key("k")),
            List.of(Read.Range.prefix("p"))),
        new Command.CreateSequential("q/", BINARY, 0),
        new Command.Compact(4),
        new Command.GrantLease(0, 30),
        new Command.RevokeLease(7),
        new Command.ExpireLease(7),
        new Command.CreateNamespace(),
        new Command.DeleteNamespace(true));
  }

  static List<Read> reads() {
    return List.of(
        new Read.Range("a", "b", 10, 4, true, false),
        new Read.LeaseInfo(7),
        new Read.LeaseList(),
        new Read.History("a", null, 3, 100),
        new Read.Status());
  }

  static List<Reply> replies() {
    Reply.Rejected rejected =
        new Reply.Rejected(9, new Rejection(ErrorCode.COMPACTED, "history starts at 4", 4));
    return List.of(
        new Reply.PutReply(5, KV, null),
        new Reply.DeleteReply(6, 1, List.of(KV)),
        new Reply.RangeReply(6, List.of(KV), 3, true),
        new Reply.TxnReply(7, true, List.of(new Reply.PutReply(7, KV, KV), rejected)),
        new Reply.CompactReply(8, 4),
        new Reply.LeaseGrantReply(8, 7, 30),
        new Reply.LeaseRevokeReply(8, 7, List.of("a", "b")),
        new Reply.LeaseInfoReply(8, 7, 30, List.of("a")),
        new Reply.LeaseListReply(8, List.of(7L, 9L)),
        new Reply.HistoryReply(
            8,
            List.of(
                new WatchEvent(WatchEvent.Type.PUT, KV, null),
                new WatchEvent(WatchEvent.Type.DELETE, KV, KV)),
            9),
        new Reply.StatusReply(8, 4, true, 10, 2, -123456789L),
        new Reply.NamespaceReply(8, true),
        new Reply.KeepAliveReply(8, 7, 30),
        new Reply.KeepAliveManyReply(8, List.of(9L)),
        new Reply.LeaseStatusReply(8, 7, 12, 30, List.of("a")),
        new Reply.ProgressReply(8),
        rejected);
  }

  /** One message of every type in {@link #allTypes()}; refs are {@code ref}. */
  static List<Object> messages(ActorRef ref) {
    List<Object> out = new ArrayList<>();
    out.addAll(requests(ref));
    out.add(new NamespaceLeader.WatchCompacted(1, 4));
    out.add(new NamespaceLeader.NotExecuted("the namespace's leader is handing over"));
    out.add(
        new NamespaceLeader.WatchRefused(
            1, Rejection.of(ErrorCode.NAMESPACE_NOT_FOUND, "namespace does not exist")));
    KeyspaceState state = KeyspaceState.empty(true);
    Event put = new Event.KeysChanged(1, List.of(new Event.Mutation.Put("k", BINARY, 0)));
    Keyspace.apply(state, put);
    out.add(new NamespaceLeader.ReplicaSync(1, 1));
    out.add(new NamespaceLeader.ReplicaCopy(0, state.toSnapshot()));
    out.add(new NamespaceLeader.Replicated(put));
    out.add(new NamespaceRegistry.Add("a"));
    out.add(new NamespaceRegistry.Remove("a"));
    out.add(new NamespaceRegistry.ListNames());
    out.add(new NamespaceRegistry.Done());
    out.add(new NamespaceRegistry.Names(List.of("a", "default")));
    out.add(new NamespaceRegistry.Added("a"));
    out.add(new NamespaceRegistry.Removed("a"));
    out.addAll(commands());
    out.addAll(reads());
    out.addAll(replies());
    out.add(new Namespaces.Envelope("team-a", new NamespaceLeader.KeepAlive(7)));
    return out;
  }
}
