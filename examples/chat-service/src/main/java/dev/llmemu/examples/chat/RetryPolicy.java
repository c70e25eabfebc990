package dev.llmemu.examples.chat;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When the service asks vLLM again. Only answers that say "not now" are retried: 429 (vLLM's queue
 * is full, or a rate limit in front of it) and 503 (vLLM is starting or overloaded). Everything
 * else — a bad request, a time-out, a stream that broke after tokens were relayed — is answered at
 * once, since asking again would not help or would repeat text the client has already seen.
 *
 * <p>The wait before attempt {@code n + 1} is the server's {@code Retry-After} when it sends one
 * (vLLM's bounded queue does), else an exponential back-off with jitter: {@code initialBackoff ×
 * 2^(n-1)}, at most {@code maxBackoff}, of which a random half is waited. A retry that would end
 * after the request's deadline is not attempted.
 *
 * @param maxAttempts attempts in all, the first included (1: never retry)
 * @param retryOn the HTTP statuses worth another attempt
 * @param initialBackoff the back-off before the second attempt, without {@code Retry-After}
 * @param maxBackoff the longest back-off the service picks itself ({@code Retry-After} is obeyed)
 */
public record RetryPolicy(
    int maxAttempts, Set<Integer> retryOn, Duration initialBackoff, Duration maxBackoff) {

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    retryOn = Set.copyOf(retryOn);
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
  }

  /** Three attempts on 429 and 503, backing off from 100 ms to at most 2 s. */
  public static RetryPolicy defaults() {
    return new RetryPolicy(3, Set.of(429, 503), Duration.ofMillis(100), Duration.ofSeconds(2));
  }

  /** One attempt: every failure goes straight back to the client. */
  public static RetryPolicy never() {
    return new RetryPolicy(1, Set.of(), Duration.ZERO, Duration.ZERO);
  }

  /**
   * How long to wait before attempt {@code attempt + 1}, after attempt {@code attempt} was answered
   * {@code status}; empty if the policy does not retry.
   *
   * @param retryAfter the answer's {@code Retry-After} header (seconds), if any
   */
  public Optional<Duration> backoff(int attempt, int status, Optional<String> retryAfter) {
    if (attempt >= maxAttempts || !retryOn.contains(status)) {
      return Optional.empty();
    }
    Optional<Duration> asked = retryAfter.flatMap(RetryPolicy::seconds);
    if (asked.isPresent()) {
      return asked;
    }
    long ceiling =
        Math.min(maxBackoff.toNanos(), initialBackoff.toNanos() << Math.min(attempt - 1, 20));
    long half = ceiling / 2;
    return Optional.of(
        Duration.ofNanos(half + ThreadLocalRandom.current().nextLong(Math.max(1, half + 1))));
  }

  private static Optional<Duration> seconds(String value) {
    try {
      double s = Double.parseDouble(value.trim());
      return s >= 0 ? Optional.of(Duration.ofMillis(Math.round(s * 1000))) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty(); // an HTTP date: fall back to the service's own back-off
    }
  }
}
