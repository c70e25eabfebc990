package dev.llmemu.examples.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The three strategies on backends whose state the test sets by hand: no server, no clock. */
class RoutersTest {
  private final List<Backend> backends =
      IntStream.range(0, 3)
          .mapToObj(i -> new Backend(i, URI.create("http://127.0.0.1:" + (9000 + i))))
          .toList();

  private static final RoutedRequest REQUEST = new RoutedRequest(200, 100);

  private List<Integer> choices(Router router, int n) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(router.choose(REQUEST, backends));
    }
    return out;
  }

  /** {@code n} requests of these lengths in flight on {@code backend}, each {@code streamed} on. */
  private void inFlight(int backend, int n, int prompt, int output, int streamed) {
    for (int i = 0; i < n; i++) {
      Backend.InFlight f = backends.get(backend).dispatch(new RoutedRequest(prompt, output));
      for (int t = 0; t < streamed; t++) {
        f.tokenStreamed();
      }
    }
  }

  @Test
  void roundRobinTakesTurnsWhateverTheLoad() {
    inFlight(0, 5, 200, 100, 0);
    assertThat(choices(new RoundRobinRouter(), 7)).containsExactly(0, 1, 2, 0, 1, 2, 0);
  }

  @Test
  void leastOutstandingPicksTheFewestInFlightAndSharesTies() {
    assertThat(choices(new LeastOutstandingRouter(), 4)).containsExactly(0, 1, 2, 0);

    inFlight(0, 2, 200, 100, 0);
    inFlight(2, 1, 200, 100, 0);
    assertThat(new LeastOutstandingRouter().choose(REQUEST, backends)).isEqualTo(1);
  }

  @Test
  void leastOutstandingForgetsRequestsWhenTheyFinish() {
    Backend.InFlight f = backends.get(0).dispatch(REQUEST);
    inFlight(1, 1, 200, 100, 0);
    inFlight(2, 1, 200, 100, 0);
    LeastOutstandingRouter router = new LeastOutstandingRouter();
    assertThat(router.choose(REQUEST, backends)).isEqualTo(0); // all at one: its turn

    backends.get(0).finish(f);
    assertThat(router.choose(REQUEST, backends)).isEqualTo(0); // the only idle one, turn or not
    assertThat(backends.get(0).completed()).isEqualTo(1);
    assertThat(backends.get(0).outstanding()).isZero();
  }

  @Test
  void predictiveWeighsWhatIsInFlightNotHowMany() {
    // Backend 0: a full batch (max_num_seqs 8) of long answers just started, so a new request
    // waits for one of them to finish. Backend 1: ten requests, but short and nearly done.
    // Backend 2: as busy as backend 0.
    inFlight(0, 8, 200, 1000, 1);
    inFlight(1, 8, 200, 12, 10);
    inFlight(1, 2, 200, 12, 0);
    inFlight(2, 8, 200, 1000, 1);
    PredictiveRouter predictive =
        new PredictiveRouter(LatencyPredictor.of(Replicas.profile()), Duration.ofMillis(50));

    // Not started, it has no scrape and goes by its own book alone.
    assertThat(predictive.choose(REQUEST, backends)).isEqualTo(1);
    assertThat(new LeastOutstandingRouter().choose(REQUEST, backends)).isZero();
    assertThat(predictive.predictions(REQUEST, backends))
        .extracting(p -> p.queue().toMillis())
        .satisfies(q -> assertThat(q.get(1)).isLessThan(q.get(0) / 10));
  }

  @Test
  void predictiveSharesAnIdleClusterInTurns() {
    PredictiveRouter predictive =
        new PredictiveRouter(LatencyPredictor.of(Replicas.profile()), Duration.ofMillis(50));
    assertThat(choices(predictive, 3)).containsExactly(0, 1, 2);
  }
}
