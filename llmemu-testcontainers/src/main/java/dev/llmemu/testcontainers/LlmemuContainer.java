package dev.llmemu.testcontainers;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.jspecify.annotations.Nullable;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.ToStringConsumer;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Testcontainers implementation for llmemu, an emulated vLLM server: OpenAI-compatible API, vLLM's
 * scheduler and KV cache, step latencies from a hardware profile, no GPU.
 *
 * <p>Supported image: {@code llmemu/llmemu} (built by llmemu's build; {@link #bundledImage()} is
 * the one built with this library). Exposed port: 8000.
 *
 * <pre>{@code
 * try (LlmemuContainer vllm = new LlmemuContainer(LlmemuContainer.bundledImage())
 *     .withProfile("h100-llama-3.1-8b")
 *     .withMaxNumSeqs(64)) {
 *   vllm.start();
 *   String url = vllm.getOpenAiBaseUrl(); // http://localhost:<port>/v1
 * }
 * }</pre>
 */
public class LlmemuContainer extends GenericContainer<LlmemuContainer> {
  /** The port the server listens on inside the container. */
  public static final int PORT = 8000;

  private static final DockerImageName DEFAULT_IMAGE_NAME = DockerImageName.parse("llmemu/llmemu");
  private static final String PROFILE_DIR = "/app/profiles/";

  private final Map<String, List<String>> flags = new LinkedHashMap<>();
  private final ToStringConsumer output = new ToStringConsumer();

  /** A container of the given llmemu image, e.g. {@code "llmemu/llmemu:0.1.0"}. */
  public LlmemuContainer(String image) {
    this(DockerImageName.parse(image));
  }

  /** A container of the given llmemu image. */
  public LlmemuContainer(DockerImageName image) {
    super(image);
    image.assertCompatibleWith(DEFAULT_IMAGE_NAME);
    withExposedPorts(PORT);
    withLogConsumer(output);
    waitingFor(new HealthWait().withStartupTimeout(Duration.ofSeconds(60)));
  }

  /**
   * The image built together with this library ({@code llmemu/llmemu:<version>}); build it with
   * {@code ./mvnw verify} in llmemu's repository, or pull it from your registry.
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

  /** A bundled hardware profile by name ({@code --profile}), e.g. {@code "a100-llama-2-7b"}. */
  public LlmemuContainer withProfile(String name) {
    return flag("--profile", Objects.requireNonNull(name, "name"));
  }

  /**
   * A profile file from the host or classpath, mounted into the container: an llmemu profile JSON
   * or an LLM-Emu pack ({@code --profile /app/profiles/<file name>}).
   */
  public LlmemuContainer withProfileFile(MountableFile file) {
    Objects.requireNonNull(file, "file");
    String path = file.getFilesystemPath();
    String name = path.substring(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
    withCopyFileToContainer(file, PROFILE_DIR + name);
    return flag("--profile", PROFILE_DIR + name);
  }

  /** {@code --model}: the model name, served as such unless a served name is set. */
  public LlmemuContainer withModel(String model) {
    return flag("--model", Objects.requireNonNull(model, "model"));
  }

  /** {@code --served-model-name}: one or more names the API answers to. */
  public LlmemuContainer withServedModelName(String... names) {
    if (names.length == 0) {
      throw new IllegalArgumentException("at least one served model name is needed");
    }
    flags.put("--served-model-name", List.of(names));
    return self();
  }

  /** {@code --seed}: makes synthetic tokens, lengths and latency jitter reproducible. */
  public LlmemuContainer withSeed(long seed) {
    return flag("--seed", Long.toString(seed));
  }

  public LlmemuContainer withMaxNumSeqs(int value) {
    return flag("--max-num-seqs", Integer.toString(value));
  }

  public LlmemuContainer withMaxNumBatchedTokens(int value) {
    return flag("--max-num-batched-tokens", Integer.toString(value));
  }

  public LlmemuContainer withMaxModelLen(int value) {
    return flag("--max-model-len", Integer.toString(value));
  }

  public LlmemuContainer withBlockSize(int value) {
    return flag("--block-size", Integer.toString(value));
  }

  public LlmemuContainer withGpuMemoryUtilization(double value) {
    return flag("--gpu-memory-utilization", Double.toString(value));
  }

  public LlmemuContainer withNumGpuBlocksOverride(int value) {
    return flag("--num-gpu-blocks-override", Integer.toString(value));
  }

  /** {@code --enable-prefix-caching} or {@code --no-enable-prefix-caching}. */
  public LlmemuContainer withPrefixCaching(boolean enabled) {
    flags.remove("--enable-prefix-caching");
    flags.remove("--no-enable-prefix-caching");
    flags.put(enabled ? "--enable-prefix-caching" : "--no-enable-prefix-caching", List.of());
    return self();
  }

  /** {@code --scheduling-policy}: {@code fcfs} or {@code priority}. */
  public LlmemuContainer withSchedulingPolicy(String policy) {
    return flag("--scheduling-policy", Objects.requireNonNull(policy, "policy"));
  }

  /** {@code --api-key}: requests must send {@code Authorization: Bearer <key>}. */
  public LlmemuContainer withApiKey(String key) {
    return flag("--api-key", Objects.requireNonNull(key, "key"));
  }

  /** {@code --time-scale}: step durations are multiplied by this (0.1: ten times faster). */
  public LlmemuContainer withTimeScale(double scale) {
    return flag("--time-scale", Double.toString(scale));
  }

  /** Any other {@code llmemu serve} flags, e.g. {@code "--max-waiting-requests", "64"}. */
  public LlmemuContainer withServeArgs(String... args) {
    List<String> raw = new ArrayList<>(flags.getOrDefault("", List.of()));
    raw.addAll(List.of(args));
    flags.put("", raw);
    return self();
  }

  private LlmemuContainer flag(String name, String value) {
    flags.put(name, List.of(value));
    return self();
  }

  /** The {@code llmemu serve} flags the container will start with. */
  public List<String> getServeArgs() {
    List<String> args = new ArrayList<>();
    for (Map.Entry<String, List<String>> f : flags.entrySet()) {
      if (!f.getKey().isEmpty()) {
        args.add(f.getKey());
      }
      args.addAll(f.getValue());
    }
    return args;
  }

  @Override
  protected void configure() {
    setCommand(getServeArgs().toArray(new String[0]));
  }

  @Override
  public void start() {
    try {
      super.start();
    } catch (ContainerLaunchException e) {
      throw new ContainerLaunchException(
          "llmemu container "
              + getDockerImageName()
              + " failed to start with serve flags "
              + getServeArgs()
              + ". Its output:\n"
              + output.toUtf8String().strip(),
          e);
    }
  }

  /** {@code http://<host>:<mapped port>}: the server's root ({@code /health}, {@code /metrics}). */
  public String getBaseUrl() {
    return "http://" + getHost() + ":" + getMappedPort(PORT);
  }

  /** {@code http://<host>:<mapped port>/v1}: what an OpenAI client's base URL should be. */
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
   * Waits for {@code GET /health} to answer 200, and gives up at once, with the container's output,
   * if the container exits (a bad flag or profile) instead of waiting for the time-out.
   */
  private static final class HealthWait extends AbstractWaitStrategy {
    @Override
    protected void waitUntilReady() {
      long deadline = System.nanoTime() + startupTimeout.toNanos();
      @Nullable String last = null;
      while (System.nanoTime() < deadline) {
        if (!waitStrategyTarget.isRunning()) {
          throw new ContainerLaunchException("the container exited before it became healthy");
        }
        String url =
            "http://"
                + waitStrategyTarget.getHost()
                + ":"
                + waitStrategyTarget.getMappedPort(PORT)
                + "/health";
        try {
          HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
          c.setConnectTimeout(1000);
          c.setReadTimeout(1000);
          int status = c.getResponseCode();
          c.disconnect();
          if (status == 200) {
            return;
          }
          last = "HTTP " + status;
        } catch (IOException e) {
          last = e.getClass().getSimpleName();
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ContainerLaunchException("interrupted while waiting for /health");
        }
      }
      throw new ContainerLaunchException(
          String.format(
              Locale.ROOT,
              "/health did not answer 200 within %s (last: %s)",
              startupTimeout,
              last));
    }
  }
}
