package dev.cairn.cli;

import static dev.cairn.client.CairnClient.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.client.CairnClient;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code cairn cluster status}. ({@code cluster up|down}, which start and stop local nodes, are
 * {@code bin/cairn-cluster}'s; {@code bin/cairn} sends them there.)
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "The cluster as a node sees it (cluster up|down: see bin/cairn-cluster).",
    subcommands = ClusterCommand.Status.class)
final class ClusterCommand {
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Members and their state, where each namespace leads, the journal.")
  static final class Status implements Callable<Integer> {
    @Override
    public Integer call() {
      Cairn o = Cairn.options();
      try (CairnClient c = o.connect()) {
        JsonNode s = await(c.clusterStatus());
        StringBuilder t = new StringBuilder();
        t.append("node     ").append(s.path("self").asText()).append('\n');
        t.append("journal  ").append(s.path("journal").asText()).append('\n');
        if (s.hasNonNull("cluster_leader")) {
          t.append("leader   ").append(s.path("cluster_leader").asText()).append('\n');
        }
        t.append("members:");
        for (JsonNode m : s.path("members")) {
          t.append("\n  ")
              .append(m.path("address").asText())
              .append("  ")
              .append(m.path("status").asText())
              .append(m.path("reachable").asBoolean(true) ? "" : "  UNREACHABLE");
        }
        t.append("\nnamespace leaders:");
        for (Iterator<Map.Entry<String, JsonNode>> it = s.path("leaders").fields();
            it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          t.append("\n  ").append(e.getKey()).append("  ").append(e.getValue().asText());
        }
        o.out().print(t.toString(), s);
        return Exit.OK;
      }
    }
  }
}
