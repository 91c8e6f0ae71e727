package dev.cairn.http;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands every test class the same running {@link TestServer}: started on first use, closed by JUnit
 * when the whole run ends. Use with {@code @ExtendWith(SharedServer.class)} and a {@code
 * TestServer} parameter on a {@code @BeforeAll} or test method.
 */
public final class SharedServer implements ParameterResolver {

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
    return p.getParameter().getType() == TestServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext c) {
    return get(c);
  }

  public static TestServer get(ExtensionContext c) {
    return c.getRoot()
        .getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(SharedServer.class, k -> TestServer.start(), TestServer.class);
  }
}
