package dev.llmemu.examples.router;

import dev.llmemu.engine.server.ServerMetrics;
import dev.llmemu.examples.router.LatencyPredictor.Prediction;
import dev.llmemu.examples.router.LatencyPredictor.ReplicaState;
import dev.llmemu.examples.router.LatencyPredictor.Sequence;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Sends each request where its predicted end-to-end latency is lowest.
 *
 * <p>Every {@code scrapeInterval} it reads each backend's {@code /metrics}: {@code
 * vllm:num_requests_running}, {@code vllm:num_requests_waiting} and {@code
 * vllm:kv_cache_usage_perc}. At a decision it brings that snapshot up to date with its own book:
 * requests it sent there since the scrape are added, those that finished since are taken away. Of
 * the requests it estimates on a backend, those it sent itself are known by length (prompt tokens,
 * {@code max_tokens}, tokens streamed so far); any others (another client's, or ones the scrape saw
 * that its book does not explain) are taken to be of the mean length it has seen. The {@link
 * LatencyPredictor} then replays that backend's queue with the profile's engine limits and step
 * latency model. Ties go to the backend with fewer requests in flight, then round-robin.
 */
public final class PredictiveRouter implements Router {
  private static final RoutedRequest UNKNOWN = new RoutedRequest(0, -1);

  private final LatencyPredictor predictor;
  private final Duration scrapeInterval;
  private AtomicReferenceArray<Scrape> scrapes;
  private ScheduledExecutorService scraper;
  private double meanPrompt = 256;
  private double meanOutput = 256;
  private long seen;
  private int start;

  /**
   * @param predictor the replicas' profile and engine settings
   * @param scrapeInterval how often to read every backend's {@code /metrics}
   */
  public PredictiveRouter(LatencyPredictor predictor, Duration scrapeInterval) {
    this.predictor = Objects.requireNonNull(predictor, "predictor");
    if (scrapeInterval.isNegative() || scrapeInterval.isZero()) {
      throw new IllegalArgumentException("scrapeInterval must be positive, got " + scrapeInterval);
    }
    this.scrapeInterval = scrapeInterval;
  }

  /** One reading of a backend's {@code /metrics}, with the router's counters at that moment. */
  record Scrape(
      int running, int waiting, double kvUsage, long dispatchedBefore, long completedAfter) {
    static final Scrape NONE = new Scrape(0, 0, 0, 0, 0);
  }

  @Override
  public String name() {
    return "predictive";
  }

  @Override
  public synchronized void start(List<Backend> backends) {
    if (scraper != null) {
      throw new IllegalStateException("already started");
    }
    scrapes = new AtomicReferenceArray<>(backends.size());
    scrapeAll(backends); // so that the first requests see real state
    scraper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "predictive-router-metrics");
              t.setDaemon(true);
              return t;
            });
    long every = scrapeInterval.toNanos();
    scraper.scheduleWithFixedDelay(() -> scrapeAll(backends), every, every, TimeUnit.NANOSECONDS);
  }

  @Override
  public synchronized void close() {
    if (scraper != null) {
      scraper.shutdownNow();
    }
  }

  private void scrapeAll(List<Backend> backends) {
    for (Backend b : backends) {
      try {
        scrape(b);
      } catch (RuntimeException e) {
        // a failed scrape keeps the previous one; the router's own book still moves on
      }
    }
  }

  /** Reads one backend's {@code /metrics} now (the scraper's job). */
  void scrape(Backend b) {
    AtomicReferenceArray<Scrape> all = Objects.requireNonNull(scrapes, "not started");
    // Read before the request: dispatches after this are counted as new even if the engine's
    // snapshot already saw them, so the estimate errs towards more load, never less.
    long dispatched = b.dispatched();
    ServerMetrics m = b.metrics();
    long completed = b.completed();
    all.set(
        b.index(),
        new Scrape(
            m.numRequestsRunning(),
            m.numRequestsWaiting(),
            m.kvCacheUsage(),
            dispatched,
            completed));
  }

  @Override
  public int choose(RoutedRequest request, List<Backend> backends) {
    int output = observe(request);
    int n = backends.size();
    int best = -1;
    long bestNanos = Long.MAX_VALUE;
    int bestOutstanding = Integer.MAX_VALUE;
    for (int k = 0; k < n; k++) {
      int i = (start + k) % n;
      Backend b = backends.get(i);
      long e2e = predictor.predict(state(b), request.promptTokens(), output).e2e().toNanos();
      if (e2e < bestNanos || (e2e == bestNanos && b.outstanding() < bestOutstanding)) {
        best = i;
        bestNanos = e2e;
        bestOutstanding = b.outstanding();
      }
    }
    start = (best + 1) % n;
    return best;
  }

  /** The predictions for {@code request} on every backend, in order (for reports and tests). */
  public List<Prediction> predictions(RoutedRequest request, List<Backend> backends) {
    int output = outputTokens(request);
    List<Prediction> out = new ArrayList<>();
    for (Backend b : backends) {
      out.add(predictor.predict(state(b), request.promptTokens(), output));
    }
    return out;
  }

  /** Updates the mean lengths; answers the output length to predict with. */
  private int observe(RoutedRequest request) {
    seen++;
    meanPrompt += (request.promptTokens() - meanPrompt) / Math.min(seen, 1000);
    if (request.hasMaxTokens()) {
      meanOutput += (request.maxTokens() - meanOutput) / Math.min(seen, 1000);
    }
    return outputTokens(request);
  }

  /** The request's {@code max_tokens}, or the mean seen so far when it has none. */
  private int outputTokens(RoutedRequest request) {
    return request.hasMaxTokens() ? request.maxTokens() : Math.max(1, (int) Math.round(meanOutput));
  }

  /** What the router believes is on {@code b} now: the last scrape brought up to date. */
  ReplicaState state(Backend b) {
    Scrape s = scrapes == null ? null : scrapes.get(b.index());
    if (s == null) {
      s = Scrape.NONE;
    }
    long estimate =
        s.running()
            + s.waiting()
            + (b.dispatched() - s.dispatchedBefore())
            - (b.completed() - s.completedAfter());
    List<Sequence> started = new ArrayList<>();
    List<Sequence> queued = new ArrayList<>();
    List<Backend.InFlight> own = b.inFlight();
    for (Backend.InFlight f : own) {
      RoutedRequest r = f.request();
      int out = outputTokens(r);
      int generated = Math.min(f.tokens(), out - 1);
      (f.tokens() > 0 ? started : queued).add(new Sequence(r.promptTokens(), out, generated));
    }
    // Requests the scrape accounts for that the router's book does not (another client's, or a
    // stale count): mean-sized, running while the scrape saw more running than the book has.
    long unknown = Math.max(0, estimate - own.size());
    int prompt = (int) Math.round(meanPrompt);
    int out = outputTokens(UNKNOWN);
    List<Sequence> running = new ArrayList<>(started);
    List<Sequence> waiting = new ArrayList<>();
    long unknownRunning = Math.min(unknown, Math.max(0, s.running() - started.size()));
    for (long i = 0; i < unknownRunning; i++) {
      running.add(new Sequence(prompt, out, out / 2));
    }
    for (long i = unknownRunning; i < unknown; i++) {
      waiting.add(new Sequence(prompt, out, 0));
    }
    waiting.addAll(queued);
    long kv = Math.round(s.kvUsage() * predictor.config().kvCacheTokens());
    return new ReplicaState(running, waiting, kv);
  }
}
