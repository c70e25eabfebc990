package dev.llmemu.junit.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Service-level objectives on single requests, as {@code vllm bench serve --goodput}: a request is
 * good when it succeeded and meets every objective set. TPOT counts as 0 for a request with one
 * output token, as in vLLM.
 *
 * <pre>{@code
 * Slo slo = Slo.builder().ttft(ofMillis(300)).tpot(ofMillis(40)).build();
 * }</pre>
 */
public final class Slo {
  private final @Nullable Duration ttft;
  private final @Nullable Duration tpot;
  private final @Nullable Duration e2el;

  private Slo(@Nullable Duration ttft, @Nullable Duration tpot, @Nullable Duration e2el) {
    if (ttft == null && tpot == null && e2el == null) {
      throw new IllegalArgumentException("an SLO needs at least one of ttft, tpot and e2el");
    }
    this.ttft = ttft;
    this.tpot = tpot;
    this.e2el = e2el;
  }

  public static Builder builder() {
    return new Builder();
  }

  public @Nullable Duration ttft() {
    return ttft;
  }

  public @Nullable Duration tpot() {
    return tpot;
  }

  public @Nullable Duration e2el() {
    return e2el;
  }

  /** True if the request succeeded and met every objective. */
  public boolean isMetBy(RequestRecord r) {
    if (!r.success()) {
      return false;
    }
    Duration t = r.ttft();
    if (ttft != null && (t == null || t.compareTo(ttft) > 0)) {
      return false;
    }
    if (tpot != null) {
      Duration p = r.tpot();
      if (p != null && p.compareTo(tpot) > 0) {
        return false;
      }
    }
    Duration e = r.e2eLatency();
    return e2el == null || (e != null && e.compareTo(e2el) <= 0);
  }

  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    if (ttft != null) {
      parts.add("ttft <= " + LatencyDistribution.ms(ttft));
    }
    if (tpot != null) {
      parts.add("tpot <= " + LatencyDistribution.ms(tpot));
    }
    if (e2el != null) {
      parts.add("e2el <= " + LatencyDistribution.ms(e2el));
    }
    return "SLO(" + String.join(", ", parts) + ")";
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Slo s
        && Objects.equals(ttft, s.ttft)
        && Objects.equals(tpot, s.tpot)
        && Objects.equals(e2el, s.e2el);
  }

  @Override
  public int hashCode() {
    return Objects.hash(ttft, tpot, e2el);
  }

  /** Builds an {@link Slo}; set at least one objective. */
  public static final class Builder {
    private @Nullable Duration ttft;
    private @Nullable Duration tpot;
    private @Nullable Duration e2el;

    private Builder() {}

    public Builder ttft(Duration limit) {
      ttft = positive(limit, "ttft");
      return this;
    }

    public Builder tpot(Duration limit) {
      tpot = positive(limit, "tpot");
      return this;
    }

    public Builder e2el(Duration limit) {
      e2el = positive(limit, "e2el");
      return this;
    }

    public Slo build() {
      return new Slo(ttft, tpot, e2el);
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative()) {
        throw new IllegalArgumentException(name + " objective must not be negative, got " + d);
      }
      return d;
    }
  }
}
