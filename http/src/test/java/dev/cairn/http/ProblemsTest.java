package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.cairn.core.ErrorCode;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The ErrorCode → HTTP status table is total: no code can reach a client as an unmapped 500. */
class ProblemsTest {

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void everyCodeHasAStatus(ErrorCode code) {
    assertThatCode(() -> Problems.status(code)).as("status of %s", code).doesNotThrowAnyException();
    int status = Problems.status(code);
    assertThat(status).as("status of %s", code).isBetween(400, 599);
    if (code != ErrorCode.INTERNAL) {
      assertThat(status).as("only INTERNAL is a 500").isNotEqualTo(500);
    }
    assertThat(Problems.retryable(code)).isEqualTo(status == 503);
    assertThat(Problems.type(code)).isEqualTo("urn:cairn:problem:" + code.wire());
    assertThat(Problems.title(code)).isNotBlank();
  }

  @Test
  void walkingEveryCodeFindsNoGap() {
    Set<String> wires = new HashSet<>();
    for (ErrorCode code : ErrorCode.values()) {
      Problems.status(code); // throws IllegalStateException for an unmapped code
      assertThat(code.wire()).matches("[a-z][a-z_]*[a-z]");
      assertThat(wires.add(code.wire())).as("wire string %s is unique", code.wire()).isTrue();
    }
  }

  @Test
  void clientErrorsAre4xxAndServerSideOnes5xx() {
    assertThat(Problems.status(ErrorCode.KEY_NOT_FOUND)).isEqualTo(404);
    assertThat(Problems.status(ErrorCode.PRECONDITION_FAILED)).isEqualTo(412);
    assertThat(Problems.status(ErrorCode.COMPACTED)).isEqualTo(410);
    assertThat(Problems.status(ErrorCode.PAYLOAD_TOO_LARGE)).isEqualTo(413);
    assertThat(Problems.status(ErrorCode.METHOD_NOT_ALLOWED)).isEqualTo(405);
    for (ErrorCode c :
        new ErrorCode[] {ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT, ErrorCode.NOT_LEADER_RETRY}) {
      assertThat(Problems.retryable(c)).as("%s is retryable", c).isTrue();
    }
  }
}
