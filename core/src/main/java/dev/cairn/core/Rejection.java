package dev.cairn.core;

import java.util.Objects;

/**
 * Why a command or read was refused. A value, not an exception: the state is unchanged.
 *
 * @param revision context for the client, 0 when none: the compact revision for {@link
 *     ErrorCode#COMPACTED}, the current revision for {@link ErrorCode#FUTURE_REVISION}
 */
public record Rejection(ErrorCode code, String detail, long revision) {
  public Rejection {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(detail, "detail");
  }

  public static Rejection of(ErrorCode code, String detail) {
    return new Rejection(code, detail, 0);
  }
}
