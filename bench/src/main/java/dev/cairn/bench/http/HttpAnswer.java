package dev.cairn.bench.http;

import java.nio.charset.StandardCharsets;

/**
 * A completed exchange.
 *
 * @param status the response status
 * @param body the full response body, empty when there was none
 */
public record HttpAnswer(int status, byte[] body) {

  /** The body as UTF-8 text. */
  public String text() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** Whether the status is 200. */
  public boolean ok() {
    return status == 200;
  }

  /** Status and body, for error messages. */
  public String describe() {
    return status + " " + text();
  }
}
