package dev.cairn.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import java.io.IOException;
import java.util.Base64;

/**
 * The JSON conventions of the API: snake_case names, nulls omitted, unknown request fields refused,
 * and values as UTF-8 text or base64.
 */
public final class Json {
  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .serializationInclusion(JsonInclude.Include.NON_NULL)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          // A ttl or limit of 1.5 is a client mistake, not 1.
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          // So is a ttl of "20": numbers and booleans are JSON numbers and booleans.
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .addModule(new Jdk8Module())
          .build();

  private Json() {}

  /** A key-value as clients see it. */
  public record Kv(
      String key,
      String value,
      String encoding,
      long createRevision,
      long modRevision,
      long version,
      long lease) {}

  public static Kv kv(KeyValue kv, boolean withValue) {
    if (kv == null) {
      return null;
    }
    String value = null;
    String encoding = null;
    if (withValue) {
      // Decoded once: checking validity and then decoding again would read the value twice.
      value = kv.value().utf8OrNull();
      if (value != null) {
        encoding = "utf-8";
      } else {
        value = Base64.getEncoder().encodeToString(kv.value().unsafeArray());
        encoding = "base64";
      }
    }
    return new Kv(
        kv.key(), value, encoding, kv.createRevision(), kv.modRevision(), kv.version(), kv.lease());
  }

  public static byte[] write(Object o) {
    try {
      return MAPPER.writeValueAsBytes(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + o.getClass(), e);
    }
  }

  /** Parses a request body; a malformed or unknown-field body is a client error. */
  public static <T> T read(byte[] body, Class<T> type) {
    if (body.length == 0) {
      throw new ApiException(ErrorCode.MALFORMED_REQUEST, "request body must be JSON");
    }
    try {
      T t = MAPPER.readValue(body, type);
      if (t == null) {
        throw new ApiException(ErrorCode.MALFORMED_REQUEST, "request body must be a JSON object");
      }
      return t;
    } catch (IOException e) {
      throw new ApiException(ErrorCode.MALFORMED_REQUEST, "malformed JSON: " + firstLine(e));
    }
  }

  private static String firstLine(IOException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
