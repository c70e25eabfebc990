package dev.llmemu.engine.internal.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Summary;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The {@code http_*} metrics that vLLM's API server exposes next to its {@code vllm:*} ones: those
 * of prometheus-fastapi-instrumentator's default instrumentation, as vLLM configures it ({@code
 * Instrumentator(excluded_handlers=[...]).add()}, status codes grouped as {@code 2xx}, paths
 * without a route grouped as {@code none}). See docs/http-api.md, "Metrics".
 *
 * <p>Recorded by a {@link Handler} in each connection's pipeline, between the HTTP codec and the
 * body aggregator, the place of the instrumentator's ASGI middleware: a request is timed from its
 * head to the write of its response's last part, and a streamed response's chunks (written below
 * the handler) cost it nothing.
 */
final class HttpMetrics {
  /** The instrumentator's {@code latency_highr_buckets}. */
  static final double[] HIGHR_BUCKETS = {
    0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 7.5, 10, 30,
    60
  };

  /** The instrumentator's {@code latency_lowr_buckets}. */
  static final double[] LOWR_BUCKETS = {0.1, 0.5, 1};

  /**
   * vLLM's {@code excluded_handlers}. The instrumentator matches them with {@code re.search}, so a
   * path that contains one anywhere is not recorded (e.g. {@code /v1/load_lora_adapter}).
   */
  static final List<String> EXCLUDED =
      List.of(
          "/metrics", "/health", "/health/decode", "/load", "/ping", "/version", "/server_info");

  /**
   * The routes llmemu serves that vLLM has too, with their method: their path is the {@code
   * handler} label. A path with the wrong method matches its route only partly, and the
   * instrumentator then reports no route ({@code none}).
   */
  static final Map<String, String> ROUTES =
      Map.of(
          "/v1/completions", "POST",
          "/v1/chat/completions", "POST",
          "/v1/models", "GET",
          "/tokenize", "POST",
          "/detokenize", "POST");

  /** What a request cancelled by a client disconnect answers in vLLM: FastAPI's {@code null}. */
  private static final long CANCELLED_BODY_BYTES = 4;

  private final Counter requests;
  private final Summary requestSize;
  private final Summary responseSize;
  private final Histogram latencyHighr;
  private final Histogram latency;

  HttpMetrics(PrometheusRegistry registry) {
    requests =
        Counter.builder()
            .name("http_requests")
            .help("Total number of requests by method, status and handler.")
            .labelNames("method", "status", "handler")
            .register(registry);
    requestSize =
        Summary.builder()
            .name("http_request_size_bytes")
            .help(
                "Content length of incoming requests by handler. Only value of header is"
                    + " respected. Otherwise ignored. No percentile calculated. ")
            .labelNames("handler")
            .register(registry);
    responseSize =
        Summary.builder()
            .name("http_response_size_bytes")
            .help(
                "Content length of outgoing responses by handler. Only value of header is"
                    + " respected. Otherwise ignored. No percentile calculated. ")
            .labelNames("handler")
            .register(registry);
    latencyHighr =
        Histogram.builder()
            .name("http_request_duration_highr_seconds")
            .help(
                "Latency with many buckets but no API specific labels. Made for more accurate"
                    + " percentile calculations. ")
            .classicOnly()
            .classicUpperBounds(HIGHR_BUCKETS)
            .withoutExemplars()
            .register(registry);
    latency =
        Histogram.builder()
            .name("http_request_duration_seconds")
            .help(
                "Latency with only few buckets by handler. Made to be only used if aggregation by"
                    + " handler is important. ")
            .classicOnly()
            .classicUpperBounds(LOWR_BUCKETS)
            .withoutExemplars()
            .labelNames("method", "handler")
            .register(registry);
  }

  /**
   * The {@code handler} label of a request, or null when it is not recorded: vLLM's excluded
   * handlers, and llmemu's own {@code /llmemu/...} routes (not vLLM's).
   */
  static @Nullable String handlerOf(String method, String path) {
    if (path.startsWith("/llmemu/")) {
      return null;
    }
    for (String excluded : EXCLUDED) {
      if (path.contains(excluded)) {
        return null;
      }
    }
    String routeMethod = ROUTES.get(path);
    boolean matches =
        routeMethod != null
            && (routeMethod.equals(method) || routeMethod.equals("GET") && method.equals("HEAD"));
    return matches ? path : "none";
  }

  private void record(Exchange e, long endNanos) {
    String handler = e.handler;
    if (handler == null || e.skipped) {
      return;
    }
    double seconds = Math.max(0, endNanos - e.startNanos) / 1e9;
    requests.labelValues(e.method, e.status / 100 + "xx", handler).inc();
    requestSize.labelValues(handler).observe(e.requestBytes);
    responseSize.labelValues(handler).observe(e.responseBytes);
    latencyHighr.observe(seconds);
    latency.labelValues(e.method, handler).observe(seconds);
  }

  /** A new connection's handler. */
  Handler newHandler() {
    return new Handler();
  }

  /** One request on a connection, from its head to its response's end. */
  private static final class Exchange {
    final String method;
    final @Nullable String handler;
    final long requestBytes;
    final long startNanos;
    boolean bodyReceived;
    boolean skipped;
    int status;
    long responseBytes;

    Exchange(String method, @Nullable String handler, long requestBytes, long startNanos) {
      this.method = method;
      this.handler = handler;
      this.requestBytes = requestBytes;
      this.startNanos = startNanos;
    }
  }

  /**
   * Pairs each response with its request, in order (HTTP/1.1 answers pipelined requests in order),
   * and records it when its last part is written or the connection closes under it. Event loop
   * only.
   */
  final class Handler extends ChannelDuplexHandler {
    private final ArrayDeque<Exchange> exchanges = new ArrayDeque<>();

    /**
     * Leaves the request being answered out of the metrics: vLLM's API-key check is a middleware
     * outside the instrumentator, so its 401s are not counted.
     */
    void skipCurrent() {
      Exchange e = exchanges.peekFirst();
      if (e != null) {
        e.skipped = true;
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest req) {
        String handler =
            req.decoderResult().isFailure()
                ? null
                : handlerOf(req.method().name(), HttpServer.pathOf(req.uri()));
        exchanges.addLast(
            new Exchange(
                req.method().name(),
                handler,
                contentLength(req.headers().get(HttpHeaderNames.CONTENT_LENGTH)),
                System.nanoTime()));
      }
      if (msg instanceof LastHttpContent) {
        Exchange e = exchanges.peekLast();
        if (e != null) {
          e.bodyReceived = true;
        }
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      Exchange e = exchanges.peekFirst();
      if (e != null) {
        if (msg instanceof HttpResponse res && res.status().code() >= 200) {
          e.status = res.status().code();
          e.responseBytes = contentLength(res.headers().get(HttpHeaderNames.CONTENT_LENGTH));
        }
        if (msg instanceof LastHttpContent && e.status != 0) {
          exchanges.removeFirst();
          record(e, System.nanoTime());
        }
      }
      ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      // The request being answered ends with the connection: a streamed response as it stood; a
      // request with no response yet as vLLM's cancelled handler answers (200, "null"); one
      // whose body never arrived as a server error. Requests queued behind it never started.
      Exchange e = exchanges.pollFirst();
      if (e != null) {
        if (e.status == 0) {
          e.status = e.bodyReceived ? 200 : 500;
          e.responseBytes = e.bodyReceived ? CANCELLED_BODY_BYTES : 0;
        }
        record(e, System.nanoTime());
      }
      exchanges.clear();
      ctx.fireChannelInactive();
    }
  }

  /** The instrumentator reads {@code Content-Length} and takes 0 when it is absent. */
  private static long contentLength(@Nullable String header) {
    if (header == null) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(header.strip()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
