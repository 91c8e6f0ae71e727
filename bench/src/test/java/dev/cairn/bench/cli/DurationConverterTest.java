package dev.cairn.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class DurationConverterTest {

  @Test
  void readsTheUsualForms() {
    assertThat(DurationConverter.parse("15s")).isEqualTo(Duration.ofSeconds(15));
    assertThat(DurationConverter.parse("10")).isEqualTo(Duration.ofSeconds(10));
    assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(DurationConverter.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(DurationConverter.parse("2m")).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void refusesWhatItCannotRead() {
    assertThatThrownBy(() -> DurationConverter.parse("5 minutes"))
        .isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> DurationConverter.parse("-1s"))
        .isInstanceOf(TypeConversionException.class);
  }
}
