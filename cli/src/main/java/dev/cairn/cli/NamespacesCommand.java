package dev.cairn.cli;

import static dev.cairn.client.CairnClient.await;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.client.CairnClient;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn namespaces list|create|delete}. */
@Command(
    name = "namespaces",
    aliases = "ns",
    mixinStandardHelpOptions = true,
    description = "List, create and delete namespaces.",
    subcommands = {
      NamespacesCommand.ListNamespaces.class,
      NamespacesCommand.Create.class,
      NamespacesCommand.Delete.class
    })
final class NamespacesCommand {
  @Command(name = "list", mixinStandardHelpOptions = true, description = "Every namespace, sorted.")
  static final class ListNamespaces implements Callable<Integer> {
    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        List<String> names = await(c.namespaces().list());
        ObjectNode doc = Output.object();
        ArrayNode a = doc.putArray("namespaces");
        names.forEach(a::add);
        o.out().print(String.join("\n", names), doc);
        return Exit.OK;
      }
    }
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create namespace NAME (nothing happens if it exists).")
  static final class Create implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        boolean created = await(c.namespaces().create(name));
        o.out()
            .print(
                (created ? "created " : "exists already: ") + name,
                Output.object().put("name", name).put("created", created));
        return Exit.OK;
      }
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Delete namespace NAME; refused (exit code 1) while it holds keys or leases.")
  static final class Delete implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--force", description = "Delete it with its keys and leases.")
    boolean force;

    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        await(c.namespaces().delete(name, force));
        o.out().print("deleted " + name, Output.object().put("name", name).put("deleted", true));
        return Exit.OK;
      }
    }
  }
}
