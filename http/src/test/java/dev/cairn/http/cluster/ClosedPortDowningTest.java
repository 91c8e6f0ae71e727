package dev.cairn.http.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;

class ClosedPortDowningTest {

  private static Address at(int port) {
    return new Address("pekko", "cairn", "127.0.0.1", port);
  }

  @Test
  void aPortNobodyListensOnRefusesAndAListeningOneDoesNot() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
      assertThat(ClosedPortDowning.refuses(at(port), 1_000)).isFalse();
    }
    assertThat(ClosedPortDowning.refuses(at(port), 1_000)).isTrue();
  }

  @Test
  void anAddressWithoutHostOrPortProvesNothing() {
    assertThat(ClosedPortDowning.refuses(new Address("pekko", "cairn"), 1_000)).isFalse();
  }
}
