package dev.llmemu.examples.router;

import java.util.List;

/**
 * Picks the backend for each request. {@link RouterProxy} calls {@link #choose} under one lock and
 * records the dispatch on the chosen {@link Backend} before the next call, so a strategy sees every
 * earlier decision and needs no locking of its own for that.
 */
public interface Router extends AutoCloseable {

  /** A short name for reports: {@code round-robin}, {@code least-outstanding}, … */
  String name();

  /** Called once with the backends before the first request (e.g. to start scraping them). */
  default void start(List<Backend> backends) {}

  /** The index in {@code backends} of the backend that gets {@code request}. */
  int choose(RoutedRequest request, List<Backend> backends);

  /** Stops whatever {@link #start} started. */
  @Override
  default void close() {}
}
