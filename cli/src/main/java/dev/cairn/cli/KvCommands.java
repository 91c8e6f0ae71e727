package dev.cairn.cli;

import static dev.cairn.client.CairnClient.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.client.CairnClient;
import dev.cairn.client.Kv;
import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Reply;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The key-value commands: put, get, del, txn, compact. */
final class KvCommands {
  private KvCommands() {}

  @Command(
      name = "put",
      mixinStandardHelpOptions = true,
      description = "Set KEY to VALUE (or to standard input when VALUE is - or absent).")
  static final class Put implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE", description = "- : stdin")
    String value;

    @Option(names = "--lease", paramLabel = "ID", description = "Bind the key to lease ID.")
    long lease;

    @Option(names = "--prev-kv", description = "Also print the previous version.")
    boolean prevKv;

    @Override
    public Integer call() throws IOException {
      Bytes v =
          value == null || value.equals("-")
              ? Bytes.wrap(System.in.readAllBytes())
              : Bytes.utf8(value);
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        Kv.PutOptions opts = Kv.PutOptions.lease(lease);
        Reply.PutReply r = await(c.kv().put(key, v, prevKv ? opts.withPrevKv() : opts));
        String text = "OK (revision " + r.revision() + ")";
        if (r.prevKv() != null) {
          text += "\nprevious: " + Output.text(r.prevKv().value());
        }
        o.out().print(text, Output.put(r));
        return Exit.OK;
      }
    }
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = {
        "Print KEY's value (exit code 1 when it does not exist).",
        "With --prefix, every key starting with KEY: one 'key<TAB>value' line each."
      })
  static final class Get implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--prefix", description = "Every key starting with KEY.")
    boolean prefix;

    @Option(names = "--revision", paramLabel = "R", description = "Read as of revision R (0: now).")
    long revision;

    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        if (prefix) {
          Reply.RangeReply r = await(c.kv().prefixAt(key, revision));
          StringBuilder text = new StringBuilder();
          for (KeyValue kv : r.kvs()) {
            text.append(text.length() == 0 ? "" : "\n")
                .append(kv.key())
                .append('\t')
                .append(Output.text(kv.value()));
          }
          o.out().print(r.kvs().isEmpty() ? null : text.toString(), Output.range(r));
          return r.kvs().isEmpty() ? Exit.NO : Exit.OK;
        }
        Optional<KeyValue> kv = await(c.kv().get(key, revision));
        if (kv.isEmpty()) {
          if (o.out().json()) {
            o.out().print(null, Output.object().put("key", key).putNull("kv"));
          } else {
            System.err.println("cairn: key not found: " + key);
          }
          return Exit.NO;
        }
        ObjectNode doc = Output.object();
        doc.set("kv", Output.kv(kv.get()));
        o.out().print(Output.text(kv.get().value()), doc);
        return Exit.OK;
      }
    }
  }

  @Command(
      name = "del",
      aliases = "delete",
      mixinStandardHelpOptions = true,
      description = "Delete KEY (or every key starting with it). Exit code 1 when none existed.")
  static final class Del implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--prefix", description = "Every key starting with KEY.")
    boolean prefix;

    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        Reply.DeleteReply r = await(prefix ? c.kv().deletePrefix(key) : c.kv().delete(key));
        o.out().print(r.deleted() + " deleted (revision " + r.revision() + ")", Output.delete(r));
        return r.deleted() > 0 ? Exit.OK : Exit.NO;
      }
    }
  }

  @Command(
      name = "txn",
      mixinStandardHelpOptions = true,
      description = {
        "Run a transaction (JSON, from FILE or standard input).",
        "The JSON is the body of POST /v1/txn:",
        "{\"compare\": [{\"key\": \"k\", \"target\": \"value\", \"op\": \"=\", \"value\": \"v\"}],",
        " \"success\": [{\"put\": {\"key\": \"k\", \"value\": \"w\"}}],",
        " \"failure\": [{\"range\": {\"key\": \"k\"}}]}",
        "Exit code 1 when the compare failed (the failure branch ran)."
      })
  static final class TxnCommand implements Callable<Integer> {
    @Parameters(
        index = "0",
        arity = "0..1",
        paramLabel = "FILE",
        description = "The transaction's JSON (default, or -: standard input).")
    String file;

    @Override
    public Integer call() throws IOException {
      String json;
      try {
        json =
            file == null || file.equals("-")
                ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                : Files.readString(Path.of(file));
      } catch (IOException e) {
        throw new picocli.CommandLine.ParameterException(
            new picocli.CommandLine(this), "cannot read " + file + ": " + e);
      }
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        Reply.TxnReply r;
        try {
          r = await(c.kv().txnJson(json));
        } catch (UncheckedIOException notJson) {
          throw new picocli.CommandLine.ParameterException(
              new picocli.CommandLine(this),
              "the transaction is not JSON: " + notJson.getMessage());
        }
        StringBuilder text =
            new StringBuilder(r.succeeded() ? "SUCCEEDED" : "FAILED")
                .append(" (revision ")
                .append(r.revision())
                .append(')');
        for (Reply each : r.responses()) {
          text.append('\n').append(describe(each));
        }
        o.out().print(text.toString(), Output.txn(r));
        return r.succeeded() ? Exit.OK : Exit.NO;
      }
    }

    private static String describe(Reply r) {
      if (r instanceof Reply.PutReply p) {
        return "put " + p.kv().key() + " (revision " + p.revision() + ")";
      }
      if (r instanceof Reply.DeleteReply d) {
        return "delete: " + d.deleted() + " deleted";
      }
      if (r instanceof Reply.RangeReply g) {
        StringBuilder b = new StringBuilder("range: " + g.count() + " key(s)");
        for (KeyValue kv : g.kvs()) {
          b.append("\n  ").append(kv.key()).append('\t').append(Output.text(kv.value()));
        }
        return b.toString();
      }
      throw new IllegalStateException("unhandled " + r);
    }
  }

  @Command(
      name = "compact",
      mixinStandardHelpOptions = true,
      description = "Forget the history before revision R (reads below it then fail).")
  static final class Compact implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "R")
    long revision;

    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        long point = await(c.kv().compact(revision));
        o.out()
            .print(
                "compacted at revision " + point, Output.object().put("compact_revision", point));
        return Exit.OK;
      }
    }
  }
}
