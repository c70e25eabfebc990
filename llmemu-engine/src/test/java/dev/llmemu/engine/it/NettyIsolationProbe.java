package dev.llmemu.engine.it;

import dev.llmemu.engine.server.EmulatedVllmServer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.Version;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/**
 * Run by {@code ShadedJarIT} in a fresh JVM whose class path holds the shaded engine jar and Netty
 * 4.1 (not the 4.2 the server is built on): the user's own Netty server and the emulated vLLM
 * server must both work, side by side. Prints "OK netty=VERSION" and exits 0 on success.
 */
public final class NettyIsolationProbe {
  private NettyIsolationProbe() {}

  @SuppressWarnings("deprecation") // NioEventLoopGroup: the 4.1 API a user's code would call
  public static void main(String[] args) throws Exception {
    String nettyVersion = Version.identify().get("netty-common").artifactVersion();
    if (!nettyVersion.startsWith("4.1.")) {
      throw new AssertionError(
          "expected the user's Netty 4.1 on the class path, got " + nettyVersion);
    }
    EventLoopGroup group = new NioEventLoopGroup(1);
    try (EmulatedVllmServer vllm = EmulatedVllmServer.builder().timeScale(0.1).start()) {
      Channel userServer =
          new ServerBootstrap()
              .group(group)
              .channel(NioServerSocketChannel.class)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      ch.pipeline()
                          .addLast(new HttpServerCodec())
                          .addLast(new HttpObjectAggregator(1 << 16))
                          .addLast(
                              new SimpleChannelInboundHandler<FullHttpRequest>() {
                                @Override
                                protected void channelRead0(
                                    ChannelHandlerContext ctx, FullHttpRequest req) {
                                  DefaultFullHttpResponse res =
                                      new DefaultFullHttpResponse(
                                          HttpVersion.HTTP_1_1,
                                          HttpResponseStatus.OK,
                                          Unpooled.copiedBuffer(
                                              "user-netty", StandardCharsets.UTF_8));
                                  res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 10);
                                  ctx.writeAndFlush(res);
                                }
                              });
                    }
                  })
              .bind("127.0.0.1", 0)
              .sync()
              .channel();
      int userPort = ((InetSocketAddress) userServer.localAddress()).getPort();
      HttpClient client = HttpClient.newHttpClient();
      String user =
          client
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + userPort + "/")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      if (!user.equals("user-netty")) {
        throw new AssertionError("user's Netty server answered " + user);
      }
      HttpResponse<String> chat =
          client.send(
              HttpRequest.newBuilder(URI.create(vllm.url("/v1/chat/completions")))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":3,\"stream\":true}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (chat.statusCode() != 200 || !chat.body().endsWith("data: [DONE]\n\n")) {
        throw new AssertionError(
            "emulated vLLM answered " + chat.statusCode() + ": " + chat.body());
      }
      String metrics =
          client
              .send(
                  HttpRequest.newBuilder(URI.create(vllm.url("/metrics"))).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      if (!metrics.contains("vllm:generation_tokens_total")) {
        throw new AssertionError("no vLLM metrics: " + metrics);
      }
      userServer.close().sync();
      System.out.println("OK netty=" + nettyVersion);
    } finally {
      group.shutdownGracefully().sync();
    }
  }
}
