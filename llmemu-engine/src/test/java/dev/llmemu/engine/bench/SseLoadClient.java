package dev.llmemu.engine.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal HTTP/1.1 + SSE load client on one selector thread: it opens one connection per stream,
 * sends one streaming request on each, de-chunks the response and timestamps every SSE event the
 * moment the bytes that complete it are read. One thread and no per-event allocation beyond the
 * event's bytes, so that the client measures the server and not itself.
 */
final class SseLoadClient {
  private static final Pattern COMPLETION_TOKENS = Pattern.compile("\"completion_tokens\":(\\d+)");

  /** One streaming request and what came back. */
  static final class Stream {
    final int id;
    final byte[] request;
    ByteBuffer out;
    SocketChannel channel;
    long startNanos;
    long firstEventNanos = -1;
    long lastEventNanos = -1;
    long[] eventNanos = new long[64];
    int events;
    int completionTokens = -1;
    boolean done;
    String error;

    // parser state
    private int phase; // 0 headers, 1 chunk size, 2 chunk data, 3 chunk crlf, 4 finished
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private int chunkLeft;
    private byte[] eventBytes = new byte[1024];
    private int eventLength;
    private int lastByte = -1;
    private int status = -1;

    Stream(int id, byte[] request) {
      this.id = id;
      this.request = request;
      this.out = ByteBuffer.wrap(request);
    }

    boolean ok() {
      return done && error == null;
    }

    long[] gaps() {
      if (events < 2) {
        return new long[0];
      }
      long[] g = new long[events - 1];
      for (int i = 1; i < events; i++) {
        g[i - 1] = eventNanos[i] - eventNanos[i - 1];
      }
      return g;
    }

    private void fail(String why) {
      if (error == null) {
        error = why;
      }
      done = true;
    }

    /** Feeds received bytes; {@code now} stamps events completed by them. */
    void feed(ByteBuffer buf, long now) {
      while (buf.hasRemaining() && phase != 4) {
        switch (phase) {
          case 0 -> {
            byte b = buf.get();
            line.write(b);
            int n = line.size();
            if (n >= 4 && b == '\n') {
              byte[] h = line.toByteArray();
              if (h[n - 2] == '\r' && h[n - 3] == '\n' && h[n - 4] == '\r') {
                String head = new String(h, StandardCharsets.ISO_8859_1);
                status = Integer.parseInt(head.substring(9, 12));
                if (status != 200) {
                  fail("HTTP " + status);
                  phase = 4;
                  return;
                }
                if (!head.toLowerCase().contains("transfer-encoding: chunked")) {
                  fail("not chunked");
                  phase = 4;
                  return;
                }
                line.reset();
                phase = 1;
              }
            }
          }
          case 1 -> {
            byte b = buf.get();
            if (b == '\n') {
              String hex = line.toString(StandardCharsets.ISO_8859_1).strip();
              line.reset();
              int semi = hex.indexOf(';');
              chunkLeft = Integer.parseInt(semi < 0 ? hex : hex.substring(0, semi), 16);
              phase = chunkLeft == 0 ? 4 : 2;
              if (chunkLeft == 0 && !done) {
                fail("stream ended without [DONE]");
              }
            } else {
              line.write(b);
            }
          }
          case 2 -> {
            int n = Math.min(chunkLeft, buf.remaining());
            sse(buf, n, now);
            chunkLeft -= n;
            if (chunkLeft == 0) {
              phase = 3;
            }
          }
          case 3 -> {
            byte b = buf.get();
            if (b == '\n') {
              phase = 1;
            }
          }
          default -> buf.position(buf.limit());
        }
      }
    }

    /** Consumes {@code n} bytes of SSE text, splitting events at blank lines, in bulk. */
    private void sse(ByteBuffer buf, int n, long now) {
      int end = buf.position() + n;
      while (buf.position() < end) {
        byte b = buf.get();
        if (eventLength == eventBytes.length) {
          eventBytes = Arrays.copyOf(eventBytes, eventLength * 2);
        }
        eventBytes[eventLength++] = b;
        if (b == '\n' && lastByte == '\n') {
          onEvent(eventBytes, eventLength - 2, now);
          eventLength = 0;
          lastByte = -1;
        } else {
          lastByte = b;
        }
      }
    }

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY_CHOICES =
        "\"choices\":[]".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ERROR = "{\"error\"".getBytes(StandardCharsets.US_ASCII);

    private void onEvent(byte[] e, int length, long now) {
      if (!startsWith(e, length, DATA, 0)) {
        fail("bad SSE line: " + new String(e, 0, length, StandardCharsets.UTF_8));
        return;
      }
      if (length == DONE.length && startsWith(e, length, DONE, 0)) {
        done = true;
        return;
      }
      if (startsWith(e, length, ERROR, DATA.length)) {
        fail("in-band error: " + new String(e, 0, length, StandardCharsets.UTF_8));
        return;
      }
      if (indexOf(e, length, EMPTY_CHOICES) >= 0) {
        Matcher m = COMPLETION_TOKENS.matcher(new String(e, 0, length, StandardCharsets.UTF_8));
        if (m.find()) {
          completionTokens = Integer.parseInt(m.group(1));
        }
        return;
      }
      if (events == eventNanos.length) {
        eventNanos = Arrays.copyOf(eventNanos, events * 2);
      }
      eventNanos[events++] = now;
      if (firstEventNanos < 0) {
        firstEventNanos = now;
      }
      lastEventNanos = now;
    }

    private static boolean startsWith(byte[] a, int length, byte[] prefix, int at) {
      if (length < at + prefix.length) {
        return false;
      }
      for (int i = 0; i < prefix.length; i++) {
        if (a[at + i] != prefix[i]) {
          return false;
        }
      }
      return true;
    }

    private static int indexOf(byte[] a, int length, byte[] needle) {
      outer:
      for (int i = 0; i + needle.length <= length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (a[i + j] != needle[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }
  }

  private SseLoadClient() {}

  static byte[] request(String host, int port, String path, String json) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    String head =
        "POST "
            + path
            + " HTTP/1.1\r\nHost: "
            + host
            + ":"
            + port
            + "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: "
            + body.length
            + "\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.US_ASCII);
    byte[] all = Arrays.copyOf(h, h.length + body.length);
    System.arraycopy(body, 0, all, h.length, body.length);
    return all;
  }

  /**
   * Runs all streams to completion (or until {@code deadlineNanos}), calling {@code sampler} about
   * every 100 ms with the number of streams open (first event seen, not done).
   */
  static void run(
      InetSocketAddress address, List<Stream> streams, long deadlineNanos, LongConsumer sampler)
      throws IOException {
    try (Selector selector = Selector.open()) {
      long t0 = System.nanoTime();
      for (Stream s : streams) {
        SocketChannel ch = SocketChannel.open();
        ch.configureBlocking(false);
        ch.socket().setTcpNoDelay(true);
        s.channel = ch;
        s.startNanos = t0;
        if (ch.connect(address)) {
          ch.register(selector, SelectionKey.OP_WRITE, s);
        } else {
          ch.register(selector, SelectionKey.OP_CONNECT, s);
        }
      }
      ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
      int open = streams.size();
      long nextSample = System.nanoTime() + 100_000_000L;
      while (open > 0) {
        long now0 = System.nanoTime();
        if (now0 > deadlineNanos) {
          for (Stream s : streams) {
            if (!s.done) {
              s.fail("deadline");
            }
          }
          break;
        }
        selector.select(50);
        long now = System.nanoTime();
        for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
          SelectionKey key = it.next();
          it.remove();
          Stream s = (Stream) key.attachment();
          try {
            if (key.isConnectable()) {
              s.channel.finishConnect();
              key.interestOps(SelectionKey.OP_WRITE);
            } else if (key.isWritable()) {
              s.channel.write(s.out);
              if (!s.out.hasRemaining()) {
                key.interestOps(SelectionKey.OP_READ);
              }
            } else if (key.isReadable()) {
              buf.clear();
              int n = s.channel.read(buf);
              if (n < 0) {
                if (!s.done) {
                  s.fail("connection closed early");
                }
              } else {
                buf.flip();
                s.feed(buf, now);
              }
            }
          } catch (IOException | RuntimeException e) {
            s.fail(e.toString());
          }
          if (s.done) {
            key.cancel();
            s.channel.close();
            open--;
          }
        }
        if (now >= nextSample) {
          nextSample = now + 100_000_000L;
          long streaming = 0;
          for (Stream s : streams) {
            if (s.firstEventNanos >= 0 && !s.done) {
              streaming++;
            }
          }
          sampler.accept(streaming);
        }
      }
    }
  }

  static List<Stream> streams(int n, String host, int port, String path, String json) {
    List<Stream> out = new ArrayList<>(n);
    byte[] req = request(host, port, path, json);
    for (int i = 0; i < n; i++) {
      out.add(new Stream(i, req));
    }
    return out;
  }
}
