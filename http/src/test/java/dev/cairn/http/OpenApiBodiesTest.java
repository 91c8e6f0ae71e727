package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import dev.cairn.http.barrier.BarrierBodies;
import dev.cairn.http.counter.CounterApi;
import dev.cairn.http.election.ElectionBodies;
import dev.cairn.http.kv.KvBodies;
import dev.cairn.http.lease.LeaseBodies;
import dev.cairn.http.lock.LockBodies;
import dev.cairn.http.namespace.NamespaceBodies;
import dev.cairn.http.ops.OpsApi;
import dev.cairn.http.queue.QueueBodies;
import dev.cairn.http.rwlock.RwLockBodies;
import dev.cairn.http.semaphore.SemaphoreBodies;
import dev.cairn.http.services.ServiceBodies;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Each JSON answer record has exactly the fields of the {@code openapi.yaml} schema it is named
 * after (as {@link Json#MAPPER} writes them, snake_case), so a field added on one side only fails
 * here before any request is made; {@link OpenApiResponsesTest} then checks the values.
 */
class OpenApiBodiesTest {
  private static final OpenApiDocument DOC = OpenApiDocument.load();

  /** Records whose schema has another name, or is inline: record → JSON pointer of its schema. */
  private static final Map<Class<?>, String> RENAMED =
      Map.of(
          Json.Kv.class,
          "/components/schemas/KeyValue",
          LeaseBodies.LeaseId.class,
          "/components/schemas/LeaseList/properties/leases/items",
          OpsApi.Health.class,
          "/paths/~1health/get/responses/200/content/application~1json/schema",
          OpsApi.Ready.class,
          "/paths/~1ready/get/responses/200/content/application~1json/schema");

  @Test
  void everyAnswerRecordHasTheFieldsOfItsSchema() {
    List<Class<?>> records = new ArrayList<>();
    for (Class<?> holder :
        List.of(
            KvBodies.class,
            LeaseBodies.class,
            LockBodies.class,
            ServiceBodies.class,
            RwLockBodies.class,
            SemaphoreBodies.class,
            CounterApi.class,
            QueueBodies.class,
            BarrierBodies.class,
            ElectionBodies.class,
            NamespaceBodies.class,
            Responses.class,
            OpsApi.class,
            dev.cairn.http.cluster.ClusterApi.class)) {
      for (Class<?> c : holder.getDeclaredClasses()) {
        if (c.isRecord()) {
          records.add(c);
        }
      }
    }
    records.add(Json.Kv.class);
    assertThat(records).hasSizeGreaterThan(15);
    for (Class<?> c : records) {
      String pointer = RENAMED.getOrDefault(c, "/components/schemas/" + c.getSimpleName());
      JsonNode schema = DOC.doc().at(pointer);
      assertThat(schema.isMissingNode())
          .as("%s has a schema at %s", c.getName(), pointer)
          .isFalse();
      Set<String> documented = new TreeSet<>();
      schema.path("properties").fieldNames().forEachRemaining(documented::add);
      Set<String> written = new TreeSet<>();
      for (BeanPropertyDefinition p :
          Json.MAPPER
              .getSerializationConfig()
              .introspect(Json.MAPPER.constructType(c))
              .findProperties()) {
        written.add(p.getName());
      }
      assertThat(written).as("fields of %s against %s", c.getName(), pointer).isEqualTo(documented);
    }
  }
}
