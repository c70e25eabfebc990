package dev.llmemu.examples.router;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.server.ServerMetrics;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One replica behind the router, with the router's own book of the requests it sent there: how
 * many, and for each one still streaming its lengths and how many tokens have come back.
 * Thread-safe.
 */
public final class Backend {
  private final int index;
  private final URI baseUri;
  private final EmulatedVllmServer remote;
  private final Set<InFlight> inFlight = ConcurrentHashMap.newKeySet();
  private final AtomicLong dispatched = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong sequence = new AtomicLong();

  public Backend(int index, URI baseUri) {
    this.index = index;
    String s = Objects.requireNonNull(baseUri, "baseUri").toString();
    this.baseUri = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    this.remote = EmulatedVllmServer.remote(this.baseUri.toString());
  }

  /** Position in the router's list, 0-based. */
  public int index() {
    return index;
  }

  /** The replica's root, e.g. {@code http://127.0.0.1:41234}. */
  public URI baseUri() {
    return baseUri;
  }

  /** A URL on the replica. */
  public URI uri(String pathAndQuery) {
    return URI.create(baseUri + pathAndQuery);
  }

  /**
   * The replica's {@code vllm:*} gauges and counters now, from its {@code GET /metrics} (read with
   * llmemu's handle on a remote server, which reads a real vLLM's as well).
   *
   * @throws RuntimeException when the replica does not answer
   */
  public ServerMetrics metrics() {
    return remote.metrics();
  }

  /** Requests sent here that have not finished yet. */
  public int outstanding() {
    return inFlight.size();
  }

  /** Requests ever sent here. */
  public long dispatched() {
    return dispatched.get();
  }

  /** Requests sent here that have finished (completed, failed or cancelled). */
  public long completed() {
    return completed.get();
  }

  /** The requests in flight here, oldest first. */
  public List<InFlight> inFlight() {
    List<InFlight> out = new ArrayList<>(inFlight);
    out.sort(Comparator.comparingLong(InFlight::sequence));
    return out;
  }

  /** Records that {@code request} is sent here; call {@link #finish} when it ends. */
  public InFlight dispatch(RoutedRequest request) {
    InFlight f = new InFlight(sequence.incrementAndGet(), request);
    inFlight.add(f);
    dispatched.incrementAndGet();
    return f;
  }

  /** Records that a request sent here ended, however it ended. Idempotent. */
  public void finish(InFlight request) {
    if (inFlight.remove(request)) {
      completed.incrementAndGet();
    }
  }

  @Override
  public String toString() {
    return "backend " + index + " (" + baseUri + ")";
  }

  /** A request in flight on a backend, as the router sees it. */
  public static final class InFlight {
    private final long sequence;
    private final RoutedRequest request;
    private final AtomicInteger tokens = new AtomicInteger();

    InFlight(long sequence, RoutedRequest request) {
      this.sequence = sequence;
      this.request = request;
    }

    /** Order of dispatch on its backend. */
    public long sequence() {
      return sequence;
    }

    public RoutedRequest request() {
      return request;
    }

    /** Streamed events with output so far (one per token unless the server coalesced some). */
    public int tokens() {
      return tokens.get();
    }

    /** Called by the proxy for each streamed event that carries output. */
    public void tokenStreamed() {
      tokens.incrementAndGet();
    }
  }
}
