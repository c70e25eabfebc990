package dev.llmemu.junit.assertj;

import java.time.Duration;
import java.util.Locale;
import org.assertj.core.presentation.StandardRepresentation;

/** Shows durations in milliseconds ("412.0 ms") rather than ISO-8601 ("PT0.412S"). */
final class MillisRepresentation extends StandardRepresentation {
  static final MillisRepresentation INSTANCE = new MillisRepresentation();

  private MillisRepresentation() {}

  @Override
  public String toStringOf(Object object) {
    if (object instanceof Duration d) {
      return millis(d);
    }
    return super.toStringOf(object);
  }

  static String millis(Duration d) {
    return String.format(Locale.ROOT, "%.1f ms", d.toNanos() / 1e6);
  }
}
