package dev.llmemu.examples.router;

import java.util.List;

/** Backend 0, 1, …, n−1, 0, …: ignores the requests and the backends' state. */
public final class RoundRobinRouter implements Router {
  private long next;

  @Override
  public String name() {
    return "round-robin";
  }

  @Override
  public int choose(RoutedRequest request, List<Backend> backends) {
    return (int) (next++ % backends.size());
  }
}
