package dev.cairn.bench.http;

import java.nio.charset.StandardCharsets;

/**
 * One request.
 *
 * @param method {@code GET}, {@code PUT} or {@code POST}
 * @param path absolute path, already URL-safe, e.g. {@code /v1/kv/bench/k0000042}
 * @param body request body, or {@code null} for none
 * @param contentType content type of {@code body}, or {@code null} for none
 */
public record HttpCall(String method, String path, byte[] body, String contentType) {

  public static HttpCall get(String path) {
    return new HttpCall("GET", path, null, null);
  }

  public static HttpCall put(String path, byte[] body, String contentType) {
    return new HttpCall("PUT", path, body, contentType);
  }

  public static HttpCall post(String path, byte[] body, String contentType) {
    return new HttpCall("POST", path, body, contentType);
  }

  /** A POST of {@code body} as UTF-8. */
  public static HttpCall post(String path, String body, String contentType) {
    return post(path, body.getBytes(StandardCharsets.UTF_8), contentType);
  }
}
