package dev.llmemu.examples.router;

import java.util.List;

/**
 * The backend with the fewest requests in flight, counted by the router itself (requests it sent
 * that have not finished streaming). Ties go round-robin, so an idle cluster is still shared.
 */
public final class LeastOutstandingRouter implements Router {
  private int start;

  @Override
  public String name() {
    return "least-outstanding";
  }

  @Override
  public int choose(RoutedRequest request, List<Backend> backends) {
    int n = backends.size();
    int best = -1;
    int fewest = Integer.MAX_VALUE;
    for (int k = 0; k < n; k++) {
      int i = (start + k) % n;
      int outstanding = backends.get(i).outstanding();
      if (outstanding < fewest) {
        fewest = outstanding;
        best = i;
      }
    }
    start = (best + 1) % n;
    return best;
  }
}
