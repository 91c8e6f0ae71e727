package dev.cairn.bench.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterFileTest {

  @TempDir Path dir;

  private Path write(String json) throws IOException {
    return Files.writeString(dir.resolve("cluster.json"), json);
  }

  @Test
  void readsTheFileBinBenchWritesForEtcd() throws Exception {
    ClusterFile f =
        ClusterFile.read(
            write(
                """
                {"target":"etcd","settings":{"election_timeout_ms":1000},"members":[
                 {"name":"e1","pid":101,"command":["/usr/bin/etcd","--name","e1"],"log":"/tmp/e1.log","url":"http://127.0.0.1:12379"},
                 {"name":"e2","pid":102,"command":["/usr/bin/etcd","--name","e2"],"url":"http://127.0.0.1:12389"}]}
                """));
    assertThat(f.target()).isEqualTo("etcd");
    assertThat(f.settings()).containsEntry("election_timeout_ms", 1000);
    assertThat(f.members()).hasSize(2);
    Member e1 = f.member(0);
    assertThat(e1.name()).isEqualTo("e1");
    assertThat(e1.pid()).isEqualTo(101);
    assertThat(e1.command()).containsExactly("/usr/bin/etcd", "--name", "e1");
    assertThat(e1.endpoint()).isEqualTo("http://127.0.0.1:12379");
    assertThat(e1.log()).isEqualTo(Path.of("/tmp/e1.log"));
    assertThat(f.member(1).log()).isNull();
    assertThat(f.member(1).index()).isEqualTo(1);
  }

  @Test
  void readsCairnSpellingsAndDefaultsTheTargetToCairn() throws Exception {
    ClusterFile f =
        ClusterFile.read(
            write(
                """
                {"nodes":[
                 {"pid":7,"command_line":"bin/cairn server --port 7071","http_url":"http://127.0.0.1:7071",
                  "cluster_address":"pekko://cairn@127.0.0.1:2551","dir":"/work"},
                 {"pid":8,"command":"bin/cairn server --port 7072","httpUrl":"http://127.0.0.1:7072",
                  "clusterAddress":"pekko://cairn@127.0.0.1:2552"}]}
                """));
    assertThat(f.target()).isEqualTo("cairn");
    assertThat(f.settings()).isEmpty();
    assertThat(f.member(0).name()).isEqualTo("m1");
    assertThat(f.member(0).command()).containsExactly("bin/cairn", "server", "--port", "7071");
    assertThat(f.member(0).endpoint()).isEqualTo("http://127.0.0.1:7071");
    assertThat(f.member(0).clusterAddress()).isEqualTo("pekko://cairn@127.0.0.1:2551");
    assertThat(f.directory(0)).isEqualTo(Path.of("/work"));
    assertThat(f.member(1).endpoint()).isEqualTo("http://127.0.0.1:7072");
    assertThat(f.member(1).clusterAddress()).isEqualTo("pekko://cairn@127.0.0.1:2552");
    assertThat(f.directory(1)).isNull();
  }

  @Test
  void refusesAMemberWithoutPidCommandOrAddress() throws Exception {
    assertThatThrownBy(
            () -> ClusterFile.read(write("{\"members\":[{\"command\":[\"x\"],\"url\":\"u\"}]}")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("pid");
    assertThatThrownBy(() -> ClusterFile.read(write("{\"members\":[{\"pid\":3,\"url\":\"u\"}]}")))
        .hasMessageContaining("command");
    assertThatThrownBy(
            () -> ClusterFile.read(write("{\"members\":[{\"pid\":3,\"command\":[\"x\"]}]}")))
        .hasMessageContaining("url");
    assertThatThrownBy(() -> ClusterFile.read(write("{\"members\":[]}")))
        .hasMessageContaining("members");
  }

  @Test
  void aRestartedMembersPidIsWrittenBackAndEverythingElseKept() throws Exception {
    Path p =
        write(
            """
            {"target":"zookeeper","extra":{"kept":true},"members":[
             {"name":"zk1","pid":11,"command":["java"],"client":"127.0.0.1:1","custom":"a"},
             {"name":"zk2","pid":12,"command":["java"],"client":"127.0.0.1:2"}]}
            """);
    ClusterFile f = ClusterFile.read(p);
    Member m = f.replacePid(1, 4242);
    assertThat(m.pid()).isEqualTo(4242);
    assertThat(f.member(1).pid()).isEqualTo(4242);

    ClusterFile again = ClusterFile.read(p);
    assertThat(again.members()).extracting(Member::pid).containsExactly(11L, 4242L);
    var tree = new ObjectMapper().readTree(p.toFile());
    assertThat(tree.path("extra").path("kept").asBoolean()).isTrue();
    assertThat(tree.path("members").get(0).path("custom").asText()).isEqualTo("a");
    assertThat(again.members())
        .extracting(Member::endpoint)
        .isEqualTo(List.of("127.0.0.1:1", "127.0.0.1:2"));
  }
}
