package dev.llmemu.examples.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.junit.EmulatedVllm;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The predictive router reads the replicas' {@code /metrics}, so it sees load that did not pass
 * through it (another client's, another router's); a router that counts only its own requests does
 * not.
 */
@EmulatedVllm(
    profile = Replicas.PROFILE,
    replicas = 2,
    args = {
      "--max-num-seqs",
      Replicas.MAX_NUM_SEQS,
      Replicas.NO_PREFIX_CACHING,
      "--time-scale",
      "0.5"
    })
@Timeout(60)
class PredictiveRouterTest {
  private static final int BATCH = Integer.parseInt(Replicas.MAX_NUM_SEQS);

  private final HttpClient http = HttpClient.newHttpClient();
  private final List<InputStream> foreignStreams = new ArrayList<>();

  /** Fills replica 0's batch with long streaming requests sent to it directly. */
  private void loadReplicaZeroBehindTheRoutersBack(EmulatedVllmServer replica) {
    String body =
        "{\"prompt\":\"Tell me a long story.\",\"max_tokens\":1500,\"ignore_eos\":true,"
            + "\"stream\":true}";
    List<CompletableFuture<HttpResponse<InputStream>>> calls = new ArrayList<>();
    for (int i = 0; i < BATCH; i++) {
      calls.add(
          http.sendAsync(
              HttpRequest.newBuilder(URI.create(replica.baseUrl() + "/v1/completions"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream()));
    }
    calls.forEach(c -> foreignStreams.add(c.join().body()));
  }

  @AfterEach
  void hangUpTheForeignRequests() throws Exception {
    for (InputStream s : foreignStreams) {
      s.close(); // the server aborts a request whose client went away
    }
  }

  private String routeOne(RouterProxy proxy) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v1/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\",\"max_tokens\":4}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.headers().firstValue(RouterProxy.BACKEND_HEADER).orElseThrow();
  }

  @Test
  void sendsRequestsAwayFromAReplicaBusyWithAnotherClientsLoad(List<EmulatedVllmServer> replicas)
      throws Exception {
    loadReplicaZeroBehindTheRoutersBack(replicas.get(0));
    List<String> urls = replicas.stream().map(EmulatedVllmServer::baseUrl).toList();
    PredictiveRouter predictive =
        new PredictiveRouter(LatencyPredictor.of(Replicas.profile()), Duration.ofMillis(20));

    try (RouterProxy proxy = RouterProxy.start(predictive, urls)) {
      Backend busy = proxy.backends().get(0);
      await("a scrape saw replica 0's batch")
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> predictive.state(busy).running().size() >= BATCH);
      for (int i = 0; i < 4; i++) {
        assertThat(routeOne(proxy)).as("request %d", i).isEqualTo("1");
      }
      // Counting only its own requests, least-outstanding sees two idle replicas, and it is
      // replica 0's turn.
      assertThat(new LeastOutstandingRouter().choose(new RoutedRequest(1, 4), proxy.backends()))
          .isZero();
    }
  }
}
