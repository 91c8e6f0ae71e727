package dev.cairn.client;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Test classes that share one real node and one client of it for all their tests. */
abstract class OneNodeTest {
  static Node node;
  static CairnClient cairn;

  @BeforeAll
  static void start() {
    node = Node.start();
    cairn = CairnClient.connect(node.url());
  }

  @AfterAll
  static void stop() {
    cairn.close();
    node.close();
  }
}
