package dev.llmemu.engine.internal.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.llmemu.engine.Engine;
import dev.llmemu.engine.internal.text.Tokenizer;
import dev.llmemu.engine.server.RecordedRequest;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * The Netty HTTP/1.1 server in front of the engine: vLLM's OpenAI-compatible routes, its error
 * shapes and status codes, and the emulator's extras under {@code /llmemu/} and {@code X-Llmemu-*}.
 */
public final class HttpServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(HttpServer.class.getName());

  /** Bodies larger than this are parsed and tokenized off the event loop. */
  private static final int OFFLOAD_BODY_BYTES = 16 * 1024;

  /** Pipelined requests queued behind one in flight on the same connection, at most. */
  private static final int MAX_PIPELINED = 64;

  static final String HEADER_ERROR_STATUS = "x-llmemu-error-status";
  static final String HEADER_ERROR_MESSAGE = "x-llmemu-error-message";
  static final String HEADER_FAIL_AFTER = "x-llmemu-fail-after-tokens";
  static final String HEADER_DROP_AFTER = "x-llmemu-drop-after-tokens";

  private final ServerSettings settings;
  private final Engine engine;
  private final VllmMetrics metrics;
  private final HttpMetrics httpMetrics;
  private final Faults faults;
  private final Consumer<RecordedRequest> recorder;
  private final AdminHooks admin;
  private final long readyAtNanos;
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicLong engineSeq = new AtomicLong();
  private final AtomicInteger submittedSinceStep = new AtomicInteger();
  private final FlushDispatcher dispatcher = new FlushDispatcher();
  private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final ExecutorService offload;
  private final EventLoopGroup group;
  private @Nullable Channel serverChannel;
  private volatile boolean engineFailureLogged;

  public HttpServer(
      ServerSettings settings,
      Engine engine,
      VllmMetrics metrics,
      Faults faults,
      Consumer<RecordedRequest> recorder,
      AdminHooks admin) {
    this.settings = settings;
    this.admin = admin;
    this.engine = engine;
    this.metrics = metrics;
    this.httpMetrics = new HttpMetrics(metrics.registry());
    this.faults = faults;
    this.recorder = recorder;
    this.readyAtNanos = System.nanoTime() + settings.readinessDelay().toNanos();
    int threads =
        settings.ioThreads() != null
            ? settings.ioThreads()
            : Math.max(2, Runtime.getRuntime().availableProcessors());
    this.group =
        new MultiThreadIoEventLoopGroup(
            threads, new DefaultThreadFactory("llmemu-http", true), NioIoHandler.newFactory());
    this.offload =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "llmemu-http-offload");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Called on the executive thread after each engine step: hands the step's outputs to the event
   * loops and resets the admission estimate.
   */
  public void onStep(long deliverAtNanos) {
    dispatcher.endOfStep(deliverAtNanos);
    submittedSinceStep.set(0);
  }

  /** Binds the port; returns the bound port. */
  public int start() throws InterruptedException {
    ServerBootstrap b =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 4096)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(32 * 1024, 64 * 1024))
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    channels.add(ch);
                    HttpMetrics.Handler measured = httpMetrics.newHandler();
                    ch.pipeline()
                        .addLast("codec", new HttpServerCodec(8192, 65536, 8192))
                        .addLast("http-metrics", measured)
                        .addLast("aggregator", new Aggregator(settings.maxBodyBytes()))
                        .addLast("api", new ApiHandler(measured));
                  }
                });
    offload.execute(
        () -> {
          try {
            GenerationCall.warmUp(engine, metrics, settings);
          } catch (RuntimeException e) {
            LOG.log(Level.FINE, "warm-up failed", e);
          }
        });
    ChannelFuture f = b.bind(settings.host(), settings.port()).sync();
    serverChannel = f.channel();
    return ((InetSocketAddress) f.channel().localAddress()).getPort();
  }

  @Override
  public void close() {
    Channel ch = serverChannel;
    if (ch != null) {
      ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    offload.shutdownNow();
    dispatcher.close();
  }

  // ------------------------------------------------------------------ response helpers

  static void writeJson(Channel ch, HttpResponseStatus status, ByteBuf body, boolean keepAlive) {
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    res.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    write(ch, res, keepAlive);
  }

  static void write(Channel ch, FullHttpResponse res, boolean keepAlive) {
    if (!keepAlive) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ch.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    } else {
      ch.writeAndFlush(res);
    }
  }

  static void writeError(Channel ch, ApiError e, boolean keepAlive) {
    ByteBuf body = ch.alloc().buffer(256);
    Json.error(body, e);
    writeJson(ch, HttpResponseStatus.valueOf(e.status()), body, keepAlive);
  }

  private static ByteBuf utf8(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }

  /** A request as received: copied out of Netty's buffers at once. */
  private record Incoming(
      String method,
      String target,
      String path,
      Map<String, List<String>> headers,
      byte[] body,
      boolean keepAlive,
      Instant receivedAt) {
    @Nullable String header(String name) {
      List<String> v = headers.get(name);
      return v == null || v.isEmpty() ? null : v.get(0);
    }
  }

  private static Map<String, List<String>> headers(HttpMessage msg) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : msg.headers()) {
      out.computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(e.getValue());
    }
    for (Map.Entry<String, List<String>> e : out.entrySet()) {
      e.setValue(List.copyOf(e.getValue()));
    }
    return out;
  }

  private void record(
      Incoming in, int status, @Nullable GenerationRequest gr, @Nullable String id) {
    // llmemu's own admin calls (remote handles polling /llmemu/recorded) are not the traffic
    // under test
    if (!settings.recordRequests() || in.path().startsWith("/llmemu/")) {
      return;
    }
    recorder.accept(
        new RecordedRequest(
            sequence.getAndIncrement(),
            in.receivedAt(),
            in.method(),
            in.target(),
            in.headers(),
            in.body(),
            status,
            gr == null ? null : gr.model,
            gr != null && gr.stream,
            gr == null ? null : gr.maxTokens,
            gr == null ? 1 : gr.n,
            gr == null ? null : gr.totalPromptTokens(),
            id));
  }

  // ------------------------------------------------------------------ pipeline stages

  /** Aggregates bodies up to the limit and answers 413 in vLLM's error shape past it. */
  private final class Aggregator extends HttpObjectAggregator {
    Aggregator(int max) {
      super(max, true);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
      // Keep the connection when the client may go on: the aggregator discards the rest of the
      // body. Closing while the client still writes would turn the 413 into a reset.
      boolean keepAlive = HttpUtil.isKeepAlive(oversized);
      if (oversized instanceof io.netty.handler.codec.http.HttpRequest req) {
        Incoming in =
            new Incoming(
                req.method().name(),
                req.uri(),
                pathOf(req.uri()),
                headers(req),
                new byte[0],
                false,
                Instant.now());
        record(in, 413, null, null);
      }
      writeError(
          ctx.channel(),
          ApiError.ofStatus(
              413,
              "Request body too large: the limit is "
                  + settings.maxBodyBytes()
                  + " bytes (llmemu --max-request-body-bytes)"),
          keepAlive);
    }
  }

  static String pathOf(String uri) {
    int q = uri.indexOf('?');
    String p = q < 0 ? uri : uri.substring(0, q);
    int h = p.indexOf('#');
    return h < 0 ? p : p.substring(0, h);
  }

  /** Per-connection handler: routes requests, one at a time (pipelined ones wait). */
  private final class ApiHandler extends ChannelInboundHandlerAdapter {
    private final HttpMetrics.Handler measured;
    private final ArrayDeque<Incoming> queue = new ArrayDeque<>();
    private boolean busy;
    private boolean closing;
    private @Nullable GenerationCall current;
    private @Nullable ChannelHandlerContext ctx;

    ApiHandler(HttpMetrics.Handler measured) {
      this.measured = measured;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof FullHttpRequest req)) {
        io.netty.util.ReferenceCountUtil.release(msg);
        return;
      }
      Incoming in;
      try {
        if (req.decoderResult().isFailure()) {
          FullHttpResponse res =
              new DefaultFullHttpResponse(
                  HttpVersion.HTTP_1_1,
                  HttpResponseStatus.BAD_REQUEST,
                  utf8("Invalid HTTP request received."));
          res.headers()
              .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
              .setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
          closing = true;
          write(ctx.channel(), res, false);
          return;
        }
        byte[] body = new byte[req.content().readableBytes()];
        req.content().getBytes(req.content().readerIndex(), body);
        in =
            new Incoming(
                req.method().name(),
                req.uri(),
                pathOf(req.uri()),
                headers(req),
                body,
                HttpUtil.isKeepAlive(req),
                Instant.now());
      } finally {
        req.release();
      }
      if (closing) {
        return;
      }
      if (busy) {
        if (queue.size() >= MAX_PIPELINED) {
          closing = true;
          ctx.close();
          return;
        }
        queue.add(in);
        return;
      }
      busy = true;
      handle(in);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      GenerationCall c = current;
      if (c != null) {
        c.writabilityChanged();
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      closing = true;
      queue.clear();
      GenerationCall c = current;
      current = null;
      if (c != null) {
        c.disconnected();
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!(cause instanceof IOException)) {
        LOG.log(Level.FINE, "closing connection after an error", cause);
      }
      ctx.close();
    }

    /** The response to the current request is written: on to the next one. */
    private void done(boolean keepAlive) {
      ChannelHandlerContext c = ctx;
      if (c == null) {
        return;
      }
      if (!c.executor().inEventLoop()) {
        c.executor().execute(() -> done(keepAlive));
        return;
      }
      current = null;
      if (!keepAlive || closing) {
        closing = true;
        return;
      }
      Incoming next = queue.poll();
      if (next == null) {
        busy = false;
        return;
      }
      handle(next);
    }

    private Channel channel() {
      return java.util.Objects.requireNonNull(ctx).channel();
    }

    private void respond(Incoming in, FullHttpResponse res, int status) {
      record(in, status, null, null);
      write(channel(), res, in.keepAlive());
      done(in.keepAlive());
    }

    private void respondJson(Incoming in, HttpResponseStatus status, ByteBuf body) {
      record(in, status.code(), null, null);
      writeJson(channel(), status, body, in.keepAlive());
      done(in.keepAlive());
    }

    private void respondError(Incoming in, ApiError e, @Nullable GenerationRequest gr) {
      record(in, e.status(), gr, null);
      writeError(channel(), e, in.keepAlive());
      done(in.keepAlive());
    }

    private void respondDetail(
        Incoming in, HttpResponseStatus status, String detail, @Nullable String allow) {
      ByteBuf body = channel().alloc().buffer(64);
      try (JsonGenerator g = Json.generator(body)) {
        g.writeStartObject();
        g.writeStringField("detail", detail);
        g.writeEndObject();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
      res.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
          .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
      if (allow != null) {
        res.headers().set(HttpHeaderNames.ALLOW, allow);
      }
      respond(in, res, status.code());
    }

    private void respondEmpty(Incoming in, HttpResponseStatus status) {
      FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
      res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
      respond(in, res, status.code());
    }

    private void handle(Incoming in) {
      try {
        route(in);
      } catch (ApiError e) {
        respondError(in, e, null);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "internal error handling " + in.method() + " " + in.path(), e);
        respondError(in, ApiError.internal(), null);
      }
    }

    private boolean ready() {
      return System.nanoTime() - readyAtNanos >= 0;
    }

    private void route(Incoming in) {
      String path = in.path();
      String method = in.method();
      boolean get = method.equals("GET") || method.equals("HEAD");
      if (requiresAuth(path) && !authorized(in)) {
        measured.skipCurrent();
        ByteBuf body = utf8("{\"error\":\"Unauthorized\"}");
        respondJson(in, HttpResponseStatus.UNAUTHORIZED, body);
        return;
      }
      if (path.equals("/metrics") || path.startsWith("/metrics/")) {
        if (!get) {
          respondDetail(in, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "GET");
          return;
        }
        ByteBuf body = channel().alloc().buffer(32 * 1024);
        try {
          metrics.writeText(new io.netty.buffer.ByteBufOutputStream(body));
        } catch (IOException e) {
          body.release();
          throw new UncheckedIOException(e);
        }
        FullHttpResponse res =
            new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
        res.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, metrics.contentType())
            .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        respond(in, res, 200);
        return;
      }
      switch (path) {
        case "/health" -> {
          if (!get) {
            respondDetail(in, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "GET");
          } else {
            respondEmpty(
                in, healthy() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE);
          }
        }
        case "/ping" -> {
          if (!get && !method.equals("POST")) {
            respondDetail(
                in, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "GET, POST");
          } else {
            respondEmpty(
                in, healthy() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE);
          }
        }
        case "/version" -> {
          if (!get) {
            respondDetail(in, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "GET");
          } else {
            respondJson(
                in, HttpResponseStatus.OK, utf8("{\"version\":\"" + settings.version() + "\"}"));
          }
        }
        case "/load" -> {
          if (!get) {
            respondDetail(in, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "GET");
          } else {
            respondJson(in, HttpResponseStatus.OK, utf8("{\"server_load\":0}"));
          }
        }
        case "/v1/models" -> {
          if (!get) {
            respondDetail(in, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "GET");
          } else {
            notReadyCheck();
            respondJson(in, HttpResponseStatus.OK, models());
          }
        }
        case "/v1/completions", "/v1/chat/completions" -> {
          if (!method.equals("POST")) {
            respondDetail(in, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "POST");
          } else {
            notReadyCheck();
            generation(in, path.equals("/v1/chat/completions"));
          }
        }
        case "/tokenize", "/detokenize" -> {
          if (!method.equals("POST")) {
            respondDetail(in, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "POST");
          } else {
            notReadyCheck();
            offloadIfNeeded(
                in,
                () -> {
                  ByteBuf out = tokenization(in, path.equals("/tokenize"));
                  return () -> respondJson(in, HttpResponseStatus.OK, out);
                });
          }
        }
        case "/llmemu/config" -> {
          if (get) {
            respondJson(in, HttpResponseStatus.OK, adminConfig());
          } else if (method.equals("POST")) {
            reconfigure(in);
          } else {
            respondDetail(
                in, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "GET, POST");
          }
        }
        case "/llmemu/recorded" -> {
          if (!get) {
            respondDetail(in, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "GET");
          } else {
            long after = queryLong(in, "after", -1);
            int limit = (int) Math.min(1000, Math.max(1, queryLong(in, "limit", 100)));
            respondJson(in, HttpResponseStatus.OK, utf8(admin.recorded(after, limit).toString()));
          }
        }
        case "/llmemu/requests" -> {
          if (!get) {
            respondDetail(in, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "GET");
          } else {
            String prefix = queryParam(in, "prefix");
            respondJson(
                in,
                HttpResponseStatus.OK,
                utf8(admin.timings(prefix == null ? "" : prefix).toString()));
          }
        }
        case "/llmemu/reset" -> {
          if (!method.equals("POST")) {
            respondDetail(in, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "POST");
          } else {
            admin.reset();
            respondJson(in, HttpResponseStatus.OK, adminConfig());
          }
        }
        case "/llmemu/reset_prefix_cache" -> {
          if (!method.equals("POST")) {
            respondDetail(in, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "POST");
          } else {
            resetPrefixCache(in);
          }
        }
        default -> respondDetail(in, HttpResponseStatus.NOT_FOUND, "Not Found", null);
      }
    }

    private boolean healthy() {
      return ready() && engine.isAlive();
    }

    private void notReadyCheck() {
      if (!ready()) {
        throw ApiError.ofStatus(
            503, "The server is starting up (llmemu readiness delay); retry later");
      }
      if (!engine.isAlive()) {
        Throwable failure = engine.failure();
        if (failure != null && !engineFailureLogged) {
          engineFailureLogged = true;
          LOG.log(Level.SEVERE, "the engine's executive died", failure);
        }
        throw ApiError.ofStatus(503, "The engine is not running");
      }
    }

    private boolean requiresAuth(String path) {
      return !settings.apiKeys().isEmpty()
          && (path.startsWith("/v1") || path.startsWith("/llmemu"));
    }

    private boolean authorized(Incoming in) {
      if (in.method().equals("OPTIONS")) {
        return true;
      }
      String auth = in.header("authorization");
      if (auth == null) {
        return false;
      }
      for (String key : settings.apiKeys()) {
        if (java.security.MessageDigest.isEqual(
            auth.getBytes(StandardCharsets.UTF_8),
            ("Bearer " + key).getBytes(StandardCharsets.UTF_8))) {
          return true;
        }
      }
      return false;
    }

    /**
     * Runs {@code prepare} (parsing, validation, tokenization: no channel state) off the event loop
     * while the tokenizer is still loading, and for large bodies, whose parsing and tokenizing
     * would hold up every stream on this loop; then runs the continuation it returns on the event
     * loop. Small requests do both at once on the event loop.
     */
    private void offloadIfNeeded(Incoming in, java.util.function.Supplier<Runnable> prepare) {
      if (Tokenizer.isLoaded() && in.body().length <= OFFLOAD_BODY_BYTES) {
        prepare.get().run();
        return;
      }
      ChannelHandlerContext c = java.util.Objects.requireNonNull(ctx);
      offload.execute(
          () -> {
            Runnable next;
            try {
              next = prepare.get();
            } catch (ApiError e) {
              next = () -> respondError(in, e, null);
            } catch (RuntimeException e) {
              LOG.log(Level.WARNING, "internal error", e);
              next = () -> respondError(in, ApiError.internal(), null);
            }
            Runnable then = next;
            c.executor()
                .execute(
                    () -> {
                      try {
                        then.run();
                      } catch (ApiError e) {
                        respondError(in, e, null);
                      } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "internal error", e);
                        respondError(in, ApiError.internal(), null);
                      }
                    });
          });
    }

    private JsonNode jsonBody(Incoming in) {
      String ct = in.header("content-type");
      String media = ct == null ? "" : ct.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
      if (!media.equals("application/json")) {
        throw PyErrors.single("Unsupported Media Type: Only 'application/json' is allowed");
      }
      if (in.body().length == 0) {
        PyErrors e = new PyErrors();
        e.add("missing", List.of(), "Field required", null);
        throw e.toApiError();
      }
      try {
        return Json.parse(new ByteBufInputStream(Unpooled.wrappedBuffer(in.body())));
      } catch (JsonProcessingException e) {
        long offset = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getCharOffset());
        String reason = e.getOriginalMessage();
        if (reason != null && reason.contains("Invalid UTF-8")) {
          reason = "Invalid UTF-8";
        } else if (reason != null && reason.contains("nesting depth")) {
          reason = "Maximum nesting depth exceeded";
        } else if (reason != null && reason.contains("Number value length")) {
          reason = "Number too long";
        } else {
          reason = "Expecting value";
        }
        PyErrors errors = new PyErrors();
        errors.raw(
            "{'type': 'json_invalid', 'loc': ('body', "
                + offset
                + "), 'msg': 'JSON decode error', 'input': {}, 'ctx': {'error': '"
                + reason
                + "'}}");
        throw errors.toApiError();
      } catch (IOException e) {
        throw PyErrors.single("JSON decode error");
      }
    }

    // ---------------------------------------------------------------- generation

    private void generation(Incoming in, boolean chat) {
      offloadIfNeeded(
          in,
          () -> {
            JsonNode body = jsonBody(in);
            int maxNumSeqs = engine.config().maxNumSeqs();
            GenerationRequest gr =
                chat
                    ? OpenAiRequests.chat(body, maxNumSeqs)
                    : OpenAiRequests.completion(body, maxNumSeqs);
            return () -> launch(in, chat, gr);
          });
    }

    /** Checks model, length and faults, then starts the request; on the event loop. */
    private void launch(Incoming in, boolean chat, GenerationRequest gr) {
      if (gr.model != null
          && !gr.model.isEmpty()
          && !settings.servedModelNames().contains(gr.model)) {
        ApiError e =
            new ApiError(
                404, "NotFoundError", "The model `" + gr.model + "` does not exist.", "model");
        respondError(in, e, gr);
        return;
      }
      int maxModelLen = engine.config().maxModelLen();
      int requested = gr.maxTokens == null ? 0 : gr.maxTokens;
      for (int[] prompt : gr.prompts) {
        int n = prompt.length;
        if ((long) n + requested > maxModelLen) {
          respondError(
              in,
              ApiError.badRequest(
                  "This model's maximum context length is "
                      + maxModelLen
                      + " tokens. However, you requested "
                      + requested
                      + " output tokens and your prompt contains "
                      + n
                      + " input tokens, for a total of "
                      + ((long) n + requested)
                      + " tokens. Please reduce the length of the input prompt or the number of"
                      + " requested output tokens.",
                  "input_tokens"),
              gr);
          return;
        }
        if (n >= maxModelLen) {
          respondError(
              in,
              ApiError.badRequest(
                  "The decoder prompt (length "
                      + n
                      + ") plus the number of requested output tokens (at least 1) is longer than"
                      + " the maximum model length of "
                      + maxModelLen
                      + ". Make sure that `max_model_len` is no smaller than the number of text"
                      + " tokens plus `max_tokens`.",
                  null),
              gr);
          return;
        }
      }
      // Emulator faults.
      String injected = in.header(HEADER_ERROR_STATUS);
      int status = injected == null ? faults.draw() : parseStatus(injected);
      if (status != 0) {
        String message = in.header(HEADER_ERROR_MESSAGE);
        respondError(
            in,
            ApiError.ofStatus(
                status,
                message != null
                    ? message
                    : injected != null
                        ? "Injected fault (" + HEADER_ERROR_STATUS + ": " + status + ")"
                        : "Injected fault (llmemu failure rate)"),
            gr);
        return;
      }
      if (settings.maxWaitingRequests() > 0 && wouldOverflowQueue(gr.numChoices())) {
        record(in, 429, gr, null);
        ByteBuf errBody = channel().alloc().buffer(256);
        Json.error(
            errBody,
            ApiError.ofStatus(
                429,
                "Too many requests waiting: the llmemu waiting queue holds at most "
                    + settings.maxWaitingRequests()
                    + " requests"));
        FullHttpResponse res =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.TOO_MANY_REQUESTS, errBody);
        res.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
            .set(HttpHeaderNames.RETRY_AFTER, "1")
            .setInt(HttpHeaderNames.CONTENT_LENGTH, errBody.readableBytes());
        write(channel(), res, in.keepAlive());
        done(in.keepAlive());
        return;
      }
      GenerationCall.RequestFaults rf =
          new GenerationCall.RequestFaults(
              parseCount(in.header(HEADER_FAIL_AFTER), HEADER_FAIL_AFTER),
              parseCount(in.header(HEADER_DROP_AFTER), HEADER_DROP_AFTER));
      String base = in.header("x-request-id");
      if (base == null || base.isEmpty()) {
        base = gr.bodyRequestId;
      }
      if (base == null || base.isEmpty()) {
        base = HexFormat.of().formatHex(randomBytes());
      }
      String id = (chat ? "chatcmpl-" : "cmpl-") + base;
      record(in, 200, gr, id);
      submittedSinceStep.addAndGet(gr.numChoices());
      boolean keepAlive = in.keepAlive();
      GenerationCall call =
          new GenerationCall(
              channel(),
              engine,
              metrics,
              settings,
              gr,
              id,
              engineSeq.getAndIncrement(),
              rf,
              dispatcher,
              keepAlive,
              () -> done(keepAlive));
      current = call;
      try {
        call.start(maxModelLen);
      } catch (IllegalArgumentException | IllegalStateException e) {
        current = null;
        throw ApiError.badRequest(e.getMessage(), null);
      }
    }

    /**
     * Whether admitting this request would leave more than the allowed number waiting: the last
     * step's waiting requests plus those submitted since, less the free {@code max_num_seqs} slots
     * (an estimate at step granularity; KV-cache pressure is not foreseen).
     */
    private boolean wouldOverflowQueue(int sequences) {
      int free = Math.max(0, engine.config().maxNumSeqs() - metrics.lastRunning());
      long pending = (long) metrics.lastWaiting() + submittedSinceStep.get() + sequences;
      return pending - free > settings.maxWaitingRequests();
    }

    private int parseStatus(String value) {
      try {
        int s = Integer.parseInt(value.strip());
        if (s >= 400 && s <= 599) {
          return s;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw ApiError.badRequest(
          HEADER_ERROR_STATUS + " must be an HTTP error status (400-599), got '" + value + "'",
          HEADER_ERROR_STATUS);
    }

    private int parseCount(@Nullable String value, String header) {
      if (value == null) {
        return -1;
      }
      try {
        int n = Integer.parseInt(value.strip());
        if (n >= 0) {
          return n;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw ApiError.badRequest(
          header + " must be a non-negative token count, got '" + value + "'", header);
    }

    // ---------------------------------------------------------------- tokenization

    /** The answer to /tokenize or /detokenize; touches no channel state. */
    private ByteBuf tokenization(Incoming in, boolean tokenize) {
      JsonNode body = jsonBody(in);
      PyErrors errors = new PyErrors();
      errors.requireObject(body);
      Fields f = new Fields(body, errors);
      String model = f.string("model");
      ByteBuf out = java.util.Objects.requireNonNull(ctx).alloc().buffer(256);
      try (JsonGenerator g = Json.generator(out)) {
        if (tokenize) {
          int[] ids;
          boolean strs = f.bool("return_token_strs", false);
          if (body.has("messages")) {
            boolean addGen = f.bool("add_generation_prompt", true);
            boolean cont = f.bool("continue_final_message", false);
            GenerationRequest gr =
                OpenAiRequests.chat(tokenizeAsChat(body, addGen, cont), Integer.MAX_VALUE);
            ids = gr.prompts.get(0);
          } else {
            JsonNode prompt = body.get("prompt");
            if (prompt == null) {
              errors.add("missing", List.of("prompt"), "Field required", body);
              throw errors.toApiError();
            }
            if (!prompt.isTextual()) {
              errors.add(
                  "string_type", List.of("prompt"), "Input should be a valid string", prompt);
              throw errors.toApiError();
            }
            ids = Tokenizer.get().encode(prompt.textValue());
          }
          checkModel(model);
          if (!errors.isEmpty()) {
            throw errors.toApiError();
          }
          g.writeStartObject();
          g.writeNumberField("count", ids.length);
          g.writeNumberField("max_model_len", engine.config().maxModelLen());
          Json.intArray(g, "tokens", ids);
          if (strs) {
            g.writeArrayFieldStart("token_strs");
            for (int id : ids) {
              String s = Tokenizer.get().tokenText(id);
              g.writeString(s == null ? "" : s);
            }
            g.writeEndArray();
          } else {
            g.writeNullField("token_strs");
          }
          g.writeEndObject();
        } else {
          JsonNode tokens = body.get("tokens");
          int[] ids = null;
          if (tokens == null) {
            errors.add("missing", List.of("tokens"), "Field required", body);
          } else {
            ids = f.intList(tokens, List.of("tokens"), null);
          }
          if (!errors.isEmpty() || ids == null) {
            throw errors.toApiError();
          }
          checkModel(model);
          String text;
          try {
            text = Tokenizer.get().decode(ids);
          } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(e.getMessage(), "tokens");
          }
          g.writeStartObject();
          g.writeStringField("prompt", text);
          g.writeEndObject();
        }
      } catch (IOException e) {
        out.release();
        throw new UncheckedIOException(e);
      } catch (RuntimeException e) {
        out.release();
        throw e;
      }
      return out;
    }

    private JsonNode tokenizeAsChat(JsonNode body, boolean addGen, boolean cont) {
      com.fasterxml.jackson.databind.node.ObjectNode copy = Json.MAPPER.createObjectNode();
      copy.set("messages", body.get("messages"));
      copy.put("add_generation_prompt", addGen);
      copy.put("continue_final_message", cont);
      if (cont && !body.has("add_generation_prompt")) {
        copy.remove("add_generation_prompt");
        copy.put("add_generation_prompt", false);
      }
      return copy;
    }

    private void checkModel(@Nullable String model) {
      if (model != null && !model.isEmpty() && !settings.servedModelNames().contains(model)) {
        throw new ApiError(
            404, "NotFoundError", "The model `" + model + "` does not exist.", "model");
      }
    }

    // ---------------------------------------------------------------- models, admin

    private ByteBuf models() {
      ByteBuf out = channel().alloc().buffer(512);
      long now = System.currentTimeMillis() / 1000;
      try (JsonGenerator g = Json.generator(out)) {
        g.writeStartObject();
        g.writeStringField("object", "list");
        g.writeArrayFieldStart("data");
        for (String name : settings.servedModelNames()) {
          g.writeStartObject();
          g.writeStringField("id", name);
          g.writeStringField("object", "model");
          g.writeNumberField("created", now);
          g.writeStringField("owned_by", "vllm");
          g.writeStringField("root", settings.modelRoot());
          g.writeNullField("parent");
          g.writeNumberField("max_model_len", engine.config().maxModelLen());
          g.writeArrayFieldStart("permission");
          g.writeStartObject();
          g.writeStringField("id", "modelperm-" + HexFormat.of().formatHex(randomBytes()));
          g.writeStringField("object", "model_permission");
          g.writeNumberField("created", now);
          g.writeBooleanField("allow_create_engine", false);
          g.writeBooleanField("allow_sampling", true);
          g.writeBooleanField("allow_logprobs", true);
          g.writeBooleanField("allow_search_indices", false);
          g.writeBooleanField("allow_view", true);
          g.writeBooleanField("allow_fine_tuning", false);
          g.writeStringField("organization", "*");
          g.writeNullField("group");
          g.writeBooleanField("is_blocking", false);
          g.writeEndObject();
          g.writeEndArray();
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out;
    }

    private @Nullable String queryParam(Incoming in, String name) {
      List<String> values =
          new io.netty.handler.codec.http.QueryStringDecoder(in.target()).parameters().get(name);
      return values == null || values.isEmpty() ? null : values.get(0);
    }

    private long queryLong(Incoming in, String name, long fallback) {
      String v = queryParam(in, name);
      if (v == null) {
        return fallback;
      }
      try {
        return Long.parseLong(v);
      } catch (NumberFormatException e) {
        throw ApiError.badRequest(
            "query parameter '" + name + "' must be an integer, got '" + v + "'", name);
      }
    }

    private ByteBuf adminConfig() {
      ByteBuf out = channel().alloc().buffer(256);
      try (JsonGenerator g = Json.generator(out)) {
        g.writeStartObject();
        g.writeNumberField("time_scale", engine.timeScale());
        g.writeNumberField("failure_rate", faults.failureRate());
        g.writeNumberField("failure_status", faults.failureStatus());
        g.writeNumberField("max_waiting_requests", settings.maxWaitingRequests());
        g.writeArrayFieldStart("served_model_names");
        for (String name : settings.servedModelNames()) {
          g.writeString(name);
        }
        g.writeEndArray();
        g.writeEndObject();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out;
    }

    private void reconfigure(Incoming in) {
      JsonNode body = jsonBody(in);
      PyErrors errors = new PyErrors();
      errors.requireObject(body);
      Fields f = new Fields(body, errors);
      Double scale = f.number("time_scale");
      Double rate = f.number("failure_rate");
      Integer status = f.integer("failure_status");
      if (!errors.isEmpty()) {
        throw errors.toApiError();
      }
      try {
        if (scale != null) {
          engine.setTimeScale(scale);
        }
        if (rate != null || status != null) {
          faults.set(
              rate != null ? rate : faults.failureRate(),
              status != null ? status : faults.failureStatus());
        }
      } catch (IllegalArgumentException e) {
        throw ApiError.badRequest(e.getMessage(), null);
      }
      respondJson(in, HttpResponseStatus.OK, adminConfig());
    }

    private void resetPrefixCache(Incoming in) {
      ChannelHandlerContext c = java.util.Objects.requireNonNull(ctx);
      engine
          .inspect(Engine.EngineState::resetPrefixCache)
          .whenComplete(
              (ok, err) ->
                  c.executor()
                      .execute(
                          () -> {
                            if (err != null || !Boolean.TRUE.equals(ok)) {
                              respondError(
                                  in,
                                  ApiError.badRequest(
                                      "Failed to reset prefix cache: KV blocks are in use", null),
                                  null);
                            } else {
                              respondEmpty(in, HttpResponseStatus.OK);
                            }
                          }));
    }
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[8];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }
}
