package dev.cairn.recipes;

import dev.cairn.core.ErrorCode;
import java.util.Objects;
import java.util.concurrent.CompletionException;

/** A refusal by the store or by a recipe, with its stable {@link ErrorCode}. */
public final class CairnException extends RuntimeException {
  private final ErrorCode code;

  public CairnException(ErrorCode code, String detail) {
    super(detail, null, false, false);
    this.code = Objects.requireNonNull(code, "code");
  }

  public ErrorCode code() {
    return code;
  }

  /**
   * The code of {@code t} (unwrapping a {@link CompletionException}), or null for other failures.
   */
  public static ErrorCode codeOf(Throwable t) {
    Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    return c instanceof CairnException e ? e.code : null;
  }
}
