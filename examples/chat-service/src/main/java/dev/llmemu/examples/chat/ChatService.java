package dev.llmemu.examples.chat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A chat backend in front of vLLM. It speaks the OpenAI chat-completions streaming format to its
 * own clients (browsers, apps, other services) on {@code POST /v1/chat/completions}, and, behind
 * it, calls vLLM with the official OpenAI Java SDK, adding the assistant's system prompt, capping
 * the answer's length, and applying its own time-outs and retry policy ({@link ChatHandler}).
 *
 * <pre>{@code
 * try (ChatService chat = ChatService.start(ChatServiceConfig.builder("http://gpu-box:8000/v1", "my-model").build())) {
 *   // POST chat.baseUrl() + "/v1/chat/completions" {"messages":[{"role":"user","content":"Hi"}]}
 * }
 * }</pre>
 *
 * {@code GET /health} answers 200; {@link #stats()} counts what happened, for a dashboard (and for
 * tests: a stream that is still counted as active after its client left is a leak).
 */
public final class ChatService implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService workers;
  private final OpenAIClient vllm;
  private final ServiceStats stats = new ServiceStats();

  private ChatService(ChatServiceConfig config) throws IOException {
    this.vllm =
        OpenAIOkHttpClient.builder()
            .baseUrl(config.vllmBaseUrl())
            .apiKey(config.apiKey())
            // The SDK would retry 408, 409, 429, 5xx and I/O errors on its own: the service
            // decides instead (RetryPolicy), so that time-outs and deadlines stay its own.
            .maxRetries(0)
            .build();
    AtomicInteger n = new AtomicInteger();
    this.workers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "chat-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 512);
    server.createContext("/v1/chat/completions", new ChatHandler(config, vllm, stats));
    server.createContext(
        "/health",
        exchange -> {
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.setExecutor(workers);
  }

  /** Starts the service; {@link #close()} stops it. */
  public static ChatService start(ChatServiceConfig config) {
    try {
      ChatService service = new ChatService(config);
      service.server.start();
      return service;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port(), e);
    }
  }

  /** {@code http://HOST:PORT}: clients post to {@code baseUrl() + "/v1/chat/completions"}. */
  public String baseUrl() {
    InetSocketAddress a = server.getAddress();
    return "http://" + a.getHostString() + ":" + a.getPort();
  }

  /** What the service has done so far. */
  public ServiceStats.Snapshot stats() {
    return stats.snapshot();
  }

  /** Stops listening, cuts off answers in flight and releases the connections to vLLM. */
  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    vllm.close();
  }

  /** Runs the service until the process is stopped; configured by environment variables. */
  public static void main(String[] args) throws InterruptedException {
    ChatServiceConfig config = ChatServiceConfig.fromEnvironment(System.getenv());
    ChatService service = start(config);
    Runtime.getRuntime().addShutdownHook(new Thread(service::close));
    System.out.println(
        "chat service on "
            + service.baseUrl()
            + ", vLLM at "
            + config.vllmBaseUrl()
            + " (token time-out "
            + config.tokenTimeout().toMillis()
            + " ms, request time-out "
            + config.requestTimeout().toMillis()
            + " ms, "
            + config.retry()
            + ")");
    new java.util.concurrent.CountDownLatch(1).await(); // until the process is stopped
  }
}
