package dev.llmemu.testcontainers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import org.jspecify.annotations.Nullable;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.ContainerState;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.ToStringConsumer;
import org.testcontainers.containers.startupcheck.IsRunningStartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.LogUtils;
import org.testcontainers.utility.MountableFile;

/**
 * Testcontainers implementation for llmemu, an emulated vLLM server: vLLM's OpenAI-compatible API,
 * scheduler and KV cache, with step latencies from a hardware profile instead of a GPU.
 *
 * <p>Supported image: {@code llmemu/llmemu} ({@link #bundledImage()} is the one built with this
 * library).
 *
 * <p>Exposed ports: 8000 (HTTP: {@code /v1/...}, {@code /health}, {@code /metrics}).
 *
 * <pre>{@code
 * try (LlmemuContainer vllm = new LlmemuContainer(LlmemuContainer.bundledImage())
 *     .withProfile("h100-llama-3.1-8b")
 *     .withMaxNumSeqs(64)) {
 *   vllm.start();
 *   String url = vllm.getOpenAiBaseUrl(); // http://localhost:<port>/v1
 * }
 * }</pre>
 *
 * <p>The {@code withX} setters become {@code llmemu serve} flags, named as in {@code vllm serve};
 * the server checks them. A configuration it refuses makes {@link #start()} fail within seconds
 * with the server's one-line error (see {@link #getServerError()}), not a start-up time-out.
 *
 * <p>{@link #start()} returns once {@code GET /health} answers 200, with the server's recorded
 * requests cleared of those probes, so that a test sees only its own traffic (as with an in-process
 * server). The image's Docker {@code HEALTHCHECK} is switched off in these containers for the same
 * reason. Published ports are bound to the loopback interface when Docker runs on this machine.
 */
public class LlmemuContainer extends GenericContainer<LlmemuContainer> {
  /** The port the server listens on inside the container. */
  public static final int PORT = 8000;

  private static final DockerImageName DEFAULT_IMAGE_NAME = DockerImageName.parse("llmemu/llmemu");

  /** Where {@link #withProfileFile} puts profile files in the container. */
  static final String PROFILE_DIR = "/app/profiles/";

  private static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(60);

  private final Map<String, List<String>> flags = new LinkedHashMap<>();
  private final List<String> extraArgs = new ArrayList<>();
  private final ToStringConsumer output = new ToStringConsumer();
  private volatile @Nullable Exit exit;

  /**
   * A container of the given llmemu image, e.g. {@code "llmemu/llmemu:0.1.0"} or {@link
   * #bundledImage()}.
   */
  public LlmemuContainer(String image) {
    this(DockerImageName.parse(image));
  }

  /** A container of the given llmemu image. */
  public LlmemuContainer(DockerImageName image) {
    super(image);
    image.assertCompatibleWith(DEFAULT_IMAGE_NAME);
    withExposedPorts(PORT);
    withLogConsumer(output);
    withStartupCheckStrategy(new RunningOrExited());
    waitingFor(new HealthWait().withStartupTimeout(DEFAULT_STARTUP_TIMEOUT));
    withCreateContainerCmdModifier(this::publishOnLoopbackIfLocal);
    // The image's HEALTHCHECK is for `docker run` and Compose. Here the wait strategy checks
    // readiness, and a probe JVM every 5 s would only take CPU from the emulated GPU and put
    // GET /health requests among the ones a test records.
    withCreateContainerCmdModifier(
        cmd -> cmd.withHealthcheck(new HealthCheck().withTest(List.of("NONE"))));
  }

  /**
   * The image built together with this library, {@code llmemu/llmemu:<library version>}: {@code
   * ./mvnw verify} in llmemu's repository builds it into the local Docker engine.
   */
  public static String bundledImage() {
    Properties p = new Properties();
    try (InputStream in = LlmemuContainer.class.getResourceAsStream("image.properties")) {
      if (in == null) {
        throw new IllegalStateException("image.properties missing from llmemu-testcontainers");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("image");
  }

  /**
   * {@code --profile}: a hardware profile bundled in the image, e.g. {@code "a100-llama-2-7b"}, or
   * a URL the container can reach.
   */
  public LlmemuContainer withProfile(String name) {
    return flag("--profile", Objects.requireNonNull(name, "name"));
  }

  /**
   * A profile file from the host or the classpath, copied into the container and served: an llmemu
   * profile JSON or an LLM-Emu pack, optionally gzipped ({@code --profile /app/profiles/<name>}).
   *
   * <pre>{@code
   * vllm.withProfileFile(MountableFile.forClasspathResource("profiles/my-gpu.json"));
   * }</pre>
   */
  public LlmemuContainer withProfileFile(MountableFile file) {
    Objects.requireNonNull(file, "file");
    Path path = Path.of(file.getResolvedPath());
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException(
          "withProfileFile: "
              + path
              + " is not a file. Pass a profile JSON (llmemu format or an LLM-Emu pack), e.g."
              + " MountableFile.forClasspathResource(\"profiles/my-gpu.json\")");
    }
    String target = PROFILE_DIR + containerFileName(path);
    // Readable by the image's non-root user whatever the host file's mode.
    withCopyFileToContainer(MountableFile.forHostPath(path, 0644), target);
    return flag("--profile", target);
  }

  /**
   * The file name a profile gets in the container: its own if it says what it is, else one that
   * tells the server whether it is gzipped (classpath resources in jars are extracted to files
   * without their names).
   */
  private static String containerFileName(Path path) {
    String name = path.getFileName().toString();
    if (name.endsWith(".json") || name.endsWith(".gz")) {
      return name;
    }
    try (InputStream in = Files.newInputStream(path)) {
      boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
      return gzip ? "profile.json.gz" : "profile.json";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read profile file " + path, e);
    }
  }

  /**
   * {@code --model}: the model name (a Hugging Face id), served under that name unless {@link
   * #withServedModelName} is set. It only names the model: the profile decides its performance.
   */
  public LlmemuContainer withModel(String model) {
    return flag("--model", Objects.requireNonNull(model, "model"));
  }

  /** {@code --served-model-name}: the names the API answers to; the first is reported. */
  public LlmemuContainer withServedModelName(String... names) {
    if (names.length == 0) {
      throw new IllegalArgumentException(
          "withServedModelName: give at least one name, e.g. withServedModelName(\"my-model\")");
    }
    List<String> values = new ArrayList<>();
    for (String n : names) {
      values.add(Objects.requireNonNull(n, "name"));
    }
    flags.put("--served-model-name", List.copyOf(values));
    return self();
  }

  /** {@code --seed}: makes synthetic tokens, output lengths and latency jitter reproducible. */
  public LlmemuContainer withSeed(long seed) {
    return flag("--seed", Long.toString(seed));
  }

  /** {@code --max-num-seqs}: the most sequences in one engine step. */
  public LlmemuContainer withMaxNumSeqs(int value) {
    return flag("--max-num-seqs", Integer.toString(value));
  }

  /** {@code --max-num-batched-tokens}: the token budget of one engine step. */
  public LlmemuContainer withMaxNumBatchedTokens(int value) {
    return flag("--max-num-batched-tokens", Integer.toString(value));
  }

  /** {@code --max-model-len}: the context length (prompt and output) a request may use. */
  public LlmemuContainer withMaxModelLen(int value) {
    return flag("--max-model-len", Integer.toString(value));
  }

  /** {@code --block-size}: tokens per KV-cache block. */
  public LlmemuContainer withBlockSize(int value) {
    return flag("--block-size", Integer.toString(value));
  }

  /**
   * {@code --gpu-memory-utilization}: scales the KV cache in proportion to the profile's (measured
   * at 0.9).
   */
  public LlmemuContainer withGpuMemoryUtilization(double fraction) {
    return flag("--gpu-memory-utilization", Double.toString(fraction));
  }

  /** {@code --num-gpu-blocks-override}: the KV cache's size in blocks. */
  public LlmemuContainer withNumGpuBlocksOverride(int blocks) {
    return flag("--num-gpu-blocks-override", Integer.toString(blocks));
  }

  /** {@code --enable-prefix-caching} or {@code --no-enable-prefix-caching} (vLLM's default: on). */
  public LlmemuContainer withEnablePrefixCaching(boolean enabled) {
    flags.remove("--enable-prefix-caching");
    flags.remove("--no-enable-prefix-caching");
    flags.put(enabled ? "--enable-prefix-caching" : "--no-enable-prefix-caching", List.of());
    return self();
  }

  /** {@code --scheduling-policy}: {@code "fcfs"} (the default) or {@code "priority"}. */
  public LlmemuContainer withSchedulingPolicy(String policy) {
    return flag("--scheduling-policy", Objects.requireNonNull(policy, "policy"));
  }

  /** {@code --api-key}: requests to {@code /v1} must send {@code Authorization: Bearer <key>}. */
  public LlmemuContainer withApiKey(String key) {
    return flag("--api-key", Objects.requireNonNull(key, "key"));
  }

  /** {@code --enable-prompt-tokens-details}: usage reports {@code cached_tokens}. */
  public LlmemuContainer withEnablePromptTokensDetails(boolean enabled) {
    return toggle("--enable-prompt-tokens-details", enabled);
  }

  /** {@code --enable-force-include-usage}: every stream ends with a usage chunk. */
  public LlmemuContainer withEnableForceIncludeUsage(boolean enabled) {
    return toggle("--enable-force-include-usage", enabled);
  }

  /**
   * {@code --time-scale} (llmemu): multiplies every engine step; 1 is the emulated GPU's speed, 0.1
   * ten times faster.
   */
  public LlmemuContainer withTimeScale(double scale) {
    return flag("--time-scale", Double.toString(scale));
  }

  /**
   * {@code --readiness-delay} (llmemu): {@code /health} and the API answer 503 for this long after
   * start, as a server loading its model. {@link #start()} waits for it.
   */
  public LlmemuContainer withReadinessDelay(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    return flag("--readiness-delay", delay.toMillis() + "ms");
  }

  /**
   * {@code --max-waiting-requests} (llmemu): answer 429 once this many requests wait (vLLM's queue
   * is unbounded).
   */
  public LlmemuContainer withMaxWaitingRequests(int value) {
    return flag("--max-waiting-requests", Integer.toString(value));
  }

  /**
   * {@code --failure-rate} and {@code --failure-status} (llmemu): answer this share of generation
   * requests with {@code status}.
   */
  public LlmemuContainer withFailureRate(double rate, int status) {
    flag("--failure-rate", Double.toString(rate));
    return flag("--failure-status", Integer.toString(status));
  }

  /**
   * Any other {@code llmemu serve} flags, passed after the typed ones, e.g. {@code
   * withServeArgs("--max-request-body-bytes", "1048576")}. Calls accumulate.
   */
  public LlmemuContainer withServeArgs(String... args) {
    for (String a : args) {
      extraArgs.add(Objects.requireNonNull(a, "arg"));
    }
    return self();
  }

  /** As {@link #withServeArgs(String...)}. */
  public LlmemuContainer withServeArgs(List<String> args) {
    return withServeArgs(args.toArray(new String[0]));
  }

  private LlmemuContainer flag(String name, String value) {
    flags.put(name, List.of(value));
    return self();
  }

  private LlmemuContainer toggle(String name, boolean on) {
    if (on) {
      flags.put(name, List.of());
    } else {
      flags.remove(name);
    }
    return self();
  }

  /** The {@code llmemu serve} flags the container starts with (after the image's own). */
  public List<String> getServeArgs() {
    List<String> args = new ArrayList<>();
    flags.forEach(
        (name, values) -> {
          args.add(name);
          args.addAll(values);
        });
    args.addAll(extraArgs);
    return List.copyOf(args);
  }

  @Override
  protected void configure() {
    setCommand(getServeArgs().toArray(new String[0]));
  }

  /**
   * Starts the container and waits until {@code GET /health} answers 200; does nothing if already
   * started.
   *
   * @throws ContainerLaunchException if the container cannot start; if the server refused its
   *     configuration, the message starts with the server's error line, e.g. {@code llmemu serve:
   *     error: max_num_seqs must be positive, got 0}
   */
  @Override
  public void start() {
    if (getContainerId() != null) {
      return;
    }
    exit = null;
    try {
      super.start();
    } catch (ContainerLaunchException e) {
      Exit x = exit;
      if (x == null) {
        throw e;
      }
      String all = x.output.strip();
      String line = x.errorLine();
      throw new ContainerLaunchException(
          line
              + "\n(the llmemu container "
              + getDockerImageName()
              + " exited with code "
              + x.code
              + " before /health answered; serve flags: "
              + getServeArgs()
              + ". Fix the configuration: see 'llmemu serve --help' and docs/containers.md)"
              + (all.equals(line) ? "" : "\nContainer output:\n" + all),
          e);
    }
  }

  /**
   * The error line the server printed if it refused its configuration and exited during the last
   * {@link #start()}, e.g. {@code llmemu serve: error: Unknown option: '--no-such-flag'}; empty if
   * it started (or failed for another reason, such as Docker being unavailable).
   */
  public Optional<String> getServerError() {
    Exit x = exit;
    return x == null ? Optional.empty() : Optional.of(x.errorLine());
  }

  /** {@code http://<host>:<mapped port>}: the server's root ({@code /health}, {@code /metrics}). */
  public String getBaseUrl() {
    return "http://" + getHost() + ":" + getMappedPort(PORT);
  }

  /** {@code http://<host>:<mapped port>/v1}: what an OpenAI client takes as its base URL. */
  public String getOpenAiBaseUrl() {
    return getBaseUrl() + "/v1";
  }

  /** The host port mapped to the server's port 8000. */
  public int getPort() {
    return getMappedPort(PORT);
  }

  /** What the server printed so far (stdout and stderr). */
  public String getOutput() {
    return output.toUtf8String();
  }

  /**
   * Publishes the server's port on 127.0.0.1 rather than on every interface when the tests reach
   * Docker through loopback anyway: an emulator under test need not be reachable from the network.
   */
  private void publishOnLoopbackIfLocal(CreateContainerCmd cmd) {
    HostConfig hostConfig = cmd.getHostConfig();
    if (hostConfig == null || hostConfig.getPortBindings() == null || !dockerHostIsLoopback()) {
      return;
    }
    Ports loopback = new Ports();
    for (Map.Entry<ExposedPort, Ports.Binding @Nullable []> e :
        hostConfig.getPortBindings().getBindings().entrySet()) {
      Ports.Binding[] bindings = e.getValue();
      if (bindings == null) {
        continue;
      }
      for (Ports.Binding b : bindings) {
        String ip = b.getHostIp();
        loopback.bind(
            e.getKey(),
            new Ports.Binding(
                ip == null || ip.isEmpty() || ip.equals("0.0.0.0") ? "127.0.0.1" : ip,
                b.getHostPortSpec()));
      }
    }
    hostConfig.withPortBindings(loopback);
  }

  private boolean dockerHostIsLoopback() {
    try {
      return InetAddress.getByName(getHost()).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** Remembers why the server exited during start-up, while its logs can still be read. */
  private void recordExit(String logs, @Nullable Long code) {
    exit = new Exit(code == null ? -1 : code, logs);
  }

  /** The server's exit during start-up: its exit code and output. */
  private static final class Exit {
    final long code;
    final String output;

    Exit(long code, String output) {
      this.code = code;
      this.output = output;
    }

    /** The CLI's error line ("llmemu serve: error: ..."), else the last line printed. */
    String errorLine() {
      String last = "";
      for (String l : output.split("\\R")) {
        if (l.contains(": error: ")) {
          return l.strip();
        }
        if (!l.isBlank()) {
          last = l.strip();
        }
      }
      return last.isEmpty() ? "(the server printed nothing)" : last;
    }
  }

  /**
   * Testcontainers' running check, remembering the output of a server that already exited (the
   * container is removed right after, with its logs).
   */
  private final class RunningOrExited extends IsRunningStartupCheckStrategy {
    @Override
    public StartupStatus checkStartupState(DockerClient dockerClient, String containerId) {
      StartupStatus status = super.checkStartupState(dockerClient, containerId);
      if (status == StartupStatus.FAILED) {
        InspectContainerResponse.ContainerState state = getCurrentState(dockerClient, containerId);
        recordExit(LogUtils.getOutput(dockerClient, containerId), state.getExitCodeLong());
      }
      return status;
    }
  }

  /**
   * Clears the server's recorded requests (the readiness probes) with llmemu's admin endpoint. Best
   * effort: with an API key given other than by {@link #withApiKey}, the probes stay recorded.
   */
  private void forgetProbes(String resetUrl) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(resetUrl).toURL().openConnection();
    c.setConnectTimeout(1000);
    c.setReadTimeout(2000);
    c.setRequestMethod("POST");
    c.setDoOutput(true);
    c.setRequestProperty("Content-Type", "application/json");
    List<String> key = flags.get("--api-key");
    if (key != null && !key.isEmpty()) {
      c.setRequestProperty("Authorization", "Bearer " + key.get(0));
    }
    try (OutputStream body = c.getOutputStream()) {
      body.write("{}".getBytes(StandardCharsets.US_ASCII));
    }
    c.getResponseCode();
    c.disconnect();
  }

  /**
   * Waits for {@code GET /health} to answer 200, and gives up at once if the container exits (a bad
   * flag or profile) instead of waiting for the time-out.
   */
  private final class HealthWait extends AbstractWaitStrategy {
    @Override
    protected void waitUntilReady() {
      ContainerState target = waitStrategyTarget;
      long deadline = System.nanoTime() + startupTimeout.toNanos();
      String url = "http://" + target.getHost() + ":" + target.getMappedPort(PORT) + "/health";
      String last = "no answer yet";
      while (System.nanoTime() < deadline) {
        if (!target.isRunning()) {
          InspectContainerResponse.ContainerState state =
              target.getCurrentContainerInfo().getState();
          recordExit(target.getLogs(), state.getExitCodeLong());
          throw new ContainerLaunchException(
              "the llmemu server exited with code " + state.getExitCodeLong() + " during start-up");
        }
        try {
          HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
          c.setConnectTimeout(1000);
          c.setReadTimeout(2000);
          int status = c.getResponseCode();
          c.disconnect();
          if (status == 200) {
            forgetProbes(url.replace("/health", "/llmemu/reset"));
            return;
          }
          last = "HTTP " + status;
        } catch (IOException e) {
          last = e.toString();
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ContainerLaunchException("interrupted while waiting for " + url, e);
        }
      }
      throw new ContainerLaunchException(
          String.format(
              Locale.ROOT,
              "GET %s did not answer 200 within %d s (last: %s). Its output so far:%n%s",
              url,
              startupTimeout.toSeconds(),
              last,
              output.toUtf8String().strip()));
    }
  }
}
