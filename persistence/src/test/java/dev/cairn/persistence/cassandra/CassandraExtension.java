package dev.cairn.persistence.cassandra;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension giving a test class the test run's real Cassandra (see {@link TestCassandra}:
 * one process per test JVM, on free ports, stopped at exit). A test method or constructor parameter
 * of type {@link CassandraEndpoint} receives its contact point.
 */
public final class CassandraExtension implements BeforeAllCallback, ParameterResolver {

  /** The CQL contact point of the test Cassandra, as {@code host:port}. */
  public record CassandraEndpoint(String contactPoint) {}

  @Override
  public void beforeAll(ExtensionContext context) {
    TestCassandra.contactPoint();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == CassandraEndpoint.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return new CassandraEndpoint(TestCassandra.contactPoint());
  }
}
