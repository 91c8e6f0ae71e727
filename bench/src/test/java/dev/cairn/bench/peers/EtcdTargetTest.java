package dev.cairn.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EtcdTargetTest {

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void findsTheKeyListInARangeAnswer() {
    byte[] kvs = b("\"kvs\"");
    assertThat(EtcdTarget.contains(b("{\"header\":{},\"kvs\":[{}],\"count\":\"1\"}"), kvs))
        .isTrue();
    assertThat(EtcdTarget.contains(b("{\"header\":{\"revision\":\"7\"}}"), kvs)).isFalse();
    assertThat(EtcdTarget.contains(b("\"kv"), kvs)).isFalse();
    assertThat(EtcdTarget.contains(b("\"kvs\""), kvs)).isTrue();
  }
}
