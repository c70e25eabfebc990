package dev.llmemu.junit.internal;

import dev.llmemu.junit.load.MetricsSample;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Samples a vLLM-compatible server's {@code /metrics} at a fixed interval during a load run:
 * running and waiting requests and KV-cache usage. Stops sampling quietly if the server has no such
 * metrics.
 */
public final class MetricsScraper implements AutoCloseable {
  private final OkHttpClient client;
  private final String url;
  private final long startNanos;
  private final List<MetricsSample> samples = new ArrayList<>();
  private final ScheduledExecutorService timer;
  private volatile boolean unavailable;

  public MetricsScraper(OkHttpClient client, String baseUrl, Duration interval, long startNanos) {
    this.client = client;
    this.url = baseUrl + "/metrics";
    this.startNanos = startNanos;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "llmemu-metrics-scraper");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(this::sample, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void sample() {
    if (unavailable) {
      return;
    }
    long at = System.nanoTime() - startNanos;
    try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
      if (!response.isSuccessful()) {
        unavailable = true;
        return;
      }
      String text = response.body().string();
      Double running = gauge(text, "vllm:num_requests_running");
      Double waiting = gauge(text, "vllm:num_requests_waiting");
      Double kv = gauge(text, "vllm:kv_cache_usage_perc");
      if (running == null && waiting == null) {
        unavailable = true;
        return;
      }
      synchronized (samples) {
        samples.add(
            new MetricsSample(
                Duration.ofNanos(at),
                running == null ? 0 : running,
                waiting == null ? 0 : waiting,
                kv == null ? 0 : kv));
      }
    } catch (IOException | RuntimeException e) {
      // a scrape that fails mid-run (server busy, shutting down) is skipped, not fatal
    }
  }

  /** The value of the first sample of a gauge in Prometheus text, or null. */
  public static @Nullable Double gauge(String text, String name) {
    int at = 0;
    while ((at = text.indexOf(name, at)) >= 0) {
      boolean lineStart = at == 0 || text.charAt(at - 1) == '\n';
      int after = at + name.length();
      if (lineStart
          && after < text.length()
          && (text.charAt(after) == '{' || text.charAt(after) == ' ')) {
        int eol = text.indexOf('\n', after);
        String line = text.substring(at, eol < 0 ? text.length() : eol).trim();
        int space = line.lastIndexOf(' ');
        try {
          return Double.parseDouble(line.substring(space + 1));
        } catch (NumberFormatException e) {
          return null;
        }
      }
      at = after;
    }
    return null;
  }

  public List<MetricsSample> samples() {
    synchronized (samples) {
      return List.copyOf(samples);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
