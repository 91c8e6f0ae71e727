package dev.cairn.cli;

import dev.cairn.client.CairnClientException;
import dev.cairn.client.LeaseLostException;
import dev.cairn.client.OutcomeUnknownException;
import dev.cairn.client.ProblemException;
import dev.cairn.client.UnavailableException;
import dev.cairn.recipes.CairnException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The command line's exit codes, documented in {@code docs/cli.md}. A script tells "the answer is
 * no" (1) from "I could not ask" (3) from "I asked wrongly" (2, 4).
 */
final class Exit {
  /** Done. */
  static final int OK = 0;

  /** Not found, or a condition failed: no key, a failed txn compare, a lock or campaign timeout. */
  static final int NO = 1;

  /** Bad usage: an unknown command or option, a missing or malformed argument. */
  static final int USAGE = 2;

  /** No node answered, or every node answered 503 / a server error. */
  static final int UNAVAILABLE = 3;

  /** The server refused the request as invalid (a bad key, a value too large, …). */
  static final int REFUSED = 4;

  /** A write may or may not have been applied (the connection failed after it was sent). */
  static final int OUTCOME_UNKNOWN = 5;

  /** The lease a lock or a leadership was held by was lost while the command ran. */
  static final int LEASE_LOST = 6;

  /** A failure the command line does not expect: a bug (sysexits' EX_SOFTWARE). */
  static final int BUG = 70;

  private Exit() {}

  /** The exit code for a failure the client reported. */
  static int of(Throwable t) {
    Throwable c = unwrap(t);
    if (c instanceof LeaseLostException) {
      return LEASE_LOST;
    }
    if (c instanceof OutcomeUnknownException) {
      return OUTCOME_UNKNOWN;
    }
    if (c instanceof UnavailableException) {
      return UNAVAILABLE;
    }
    if (c instanceof ProblemException p) {
      int s = p.status();
      if (s == 404 || s == 409 || s == 410 || s == 412) {
        return NO;
      }
      if (s == 408 || s == 429 || s >= 500) {
        return UNAVAILABLE;
      }
      return REFUSED;
    }
    if (c instanceof CairnClientException e) {
      return ofCode(e.code());
    }
    if (c instanceof CairnException e) {
      return ofCode(e.code().wire());
    }
    throw new IllegalStateException("unhandled " + c, c);
  }

  /** A code of a refusal with no HTTP status (a recipe run in this process refused). */
  private static int ofCode(String code) {
    if (code.equals("unavailable") || code.startsWith("not_leader")) {
      return UNAVAILABLE;
    }
    if (code.endsWith("_not_found")
        || code.endsWith("_timeout")
        || code.endsWith("_exists")
        || code.endsWith("_lost")
        || code.equals("precondition_failed")
        || code.equals("compacted")
        || code.equals("fenced")) {
      return NO;
    }
    return REFUSED;
  }

  /** Whether {@code t} is a failure {@link #of} knows (else it is a bug, shown with its trace). */
  static boolean known(Throwable t) {
    Throwable c = unwrap(t);
    return c instanceof CairnClientException || c instanceof CairnException;
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
