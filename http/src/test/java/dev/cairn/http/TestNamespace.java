package dev.cairn.http;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A namespace of its own on the shared test server ({@link SharedServer}) for one test class, with
 * requests addressed inside it, so that a test says only what it checks:
 *
 * <pre>{@code
 * @RegisterExtension static final TestNamespace ns = TestNamespace.of("queue-test");
 * ...
 * ns.post("/queues/q", "{\"value\": \"v\"}")   // POST /v1/ns/queue-test/queues/q
 * }</pre>
 *
 * <p>The namespace is created before the class's first test; {@link #async} runs blocking requests
 * on a pool of the class's own, stopped after its last test.
 */
public final class TestNamespace implements BeforeAllCallback, AfterAllCallback {
  private final String name;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private volatile TestServer server;

  private TestNamespace(String name) {
    this.name = name;
  }

  public static TestNamespace of(String name) {
    return new TestNamespace(name);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server = SharedServer.get(context);
    server.createNamespace(name);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    pool.shutdownNow();
  }

  /** The server, for requests outside the namespace. */
  public TestServer server() {
    return server;
  }

  /** {@code /v1/ns/<name>} followed by {@code rest}. */
  public String path(String rest) {
    return "/v1/ns/" + name + rest;
  }

  public TestServer.Resp get(String rest, String... headers) {
    return server.get(path(rest), headers);
  }

  public TestServer.Resp put(String rest, String body, String... headers) {
    return server.put(path(rest), body, headers);
  }

  public TestServer.Resp post(String rest, String body, String... headers) {
    return server.post(path(rest), body, headers);
  }

  public TestServer.Resp delete(String rest, String... headers) {
    return server.delete(path(rest), headers);
  }

  /** A new lease of {@code ttl} seconds in the namespace (asserting success). */
  public long grant(long ttl) {
    return post("/leases", "{\"ttl\": " + ttl + "}").ok().path("id").asLong();
  }

  /** Runs {@code request} on the class's pool: a request that blocks, such as an acquisition. */
  public <T> CompletableFuture<T> async(Supplier<T> request) {
    return CompletableFuture.supplyAsync(request, pool);
  }

  /** The class's pool, stopped after its last test. */
  public ExecutorService pool() {
    return pool;
  }
}
