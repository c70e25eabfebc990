package dev.llmemu.engine.cli;

import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.SchedulingPolicy;
import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.engine.profile.Profiles;
import dev.llmemu.engine.server.EmulatedVllmServer;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code llmemu} command line: {@code serve} runs an emulated vLLM server with flags named as
 * in {@code vllm serve}; {@code health} checks one (for container health checks).
 */
@Command(
    name = "llmemu",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "A GPU-free emulation of a vLLM server (OpenAI-compatible API).",
    subcommands = {Main.Serve.class, Main.Health.class, Main.ListProfiles.class},
    usageHelpAutoWidth = true)
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    int code = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    if (code != Integer.MIN_VALUE) {
      System.exit(code);
    }
  }

  /**
   * Runs the command line with the given streams; returns the exit code (0 ok, 1 failure, 2 bad
   * usage). {@code serve} blocks until the JVM shuts down.
   */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = commandLine(out, err);
    return cl.execute(args);
  }

  static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(out);
    cl.setErr(err);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine c = ex.getCommandLine();
          String name = c.getCommandSpec().qualifiedName();
          c.getErr().println(name + ": error: " + ex.getMessage() + " (see '" + name + " --help')");
          return 2;
        });
    cl.setExecutionExceptionHandler(
        (ex, c, parseResult) -> {
          if (ex instanceof UsageError || ex instanceof IllegalArgumentException) {
            c.getErr().println(c.getCommandSpec().qualifiedName() + ": error: " + ex.getMessage());
            return 2;
          }
          c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + ex);
          return 1;
        });
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** A configuration mistake reported as one line with exit code 2. */
  static final class UsageError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageError(String message) {
      super(message);
    }
  }

  /** The version line: llmemu's and the vLLM API it emulates. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "llmemu "
            + llmemuVersion()
            + " (emulates the vLLM "
            + EmulatedVllmServer.VLLM_VERSION.replace("+llmemu", "")
            + " OpenAI-compatible API)"
      };
    }
  }

  static String llmemuVersion() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** {@code vllm serve}, emulated. */
  /**
   * Applies {@code vllm serve}-style flags (as {@code llmemu serve} takes them) to a server
   * builder: only the flags given change anything. Used by {@link EmulatedVllmServer.Builder#args}.
   *
   * @throws IllegalArgumentException with the same one-line message the CLI prints
   */
  public static void applyServeFlags(EmulatedVllmServer.Builder builder, List<String> flags) {
    Serve serve = new Serve();
    CommandLine cl = new CommandLine(serve);
    CommandLine.ParseResult parsed;
    try {
      parsed = cl.parseArgs(flags.toArray(new String[0]));
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    try {
      serve.applyTo(builder, parsed::hasMatchedOption);
    } catch (UsageError e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  @Command(
      name = "serve",
      sortOptions = false,
      abbreviateSynopsis = true,
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      usageHelpAutoWidth = true,
      description = {
        "Start an emulated vLLM server: vLLM's OpenAI-compatible API (/v1/completions,"
            + " /v1/chat/completions, /v1/models, /metrics, ...) with the GPU replaced by the step"
            + " latency of a hardware profile.",
        "",
        "Engine flags are named and default as in 'vllm serve'; an unset flag takes the value the"
            + " hardware profile measured vLLM with."
      })
  static final class Serve implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(
        index = "0",
        arity = "0..1",
        paramLabel = "MODEL",
        description = "Model name to serve, as in 'vllm serve MODEL' (same as --model).")
    @Nullable String positionalModel;

    @Option(
        names = "--model",
        paramLabel = "MODEL",
        description =
            "Name or path of the model (Hugging Face id). Only names the model: the hardware"
                + " profile decides how it performs. Default: the profile's model.")
    @Nullable String model;

    @Option(
        names = "--served-model-name",
        paramLabel = "NAME",
        arity = "1..*",
        description =
            "The model name(s) used in the API. The first is reported in responses and metrics."
                + " Default: --model.")
    List<String> servedModelNames = new ArrayList<>();

    @Option(
        names = "--host",
        paramLabel = "HOST",
        defaultValue = "${env:LLMEMU_HOST:-127.0.0.1}",
        description = "Host name to bind. Default: ${DEFAULT-VALUE} (env LLMEMU_HOST).")
    String host = "127.0.0.1";

    @Option(
        names = "--port",
        paramLabel = "PORT",
        defaultValue = "${env:LLMEMU_PORT:-8000}",
        description = "Port to listen on. Default: ${DEFAULT-VALUE} (env LLMEMU_PORT).")
    int port = 8000;

    @Option(
        names = "--api-key",
        paramLabel = "KEY",
        arity = "1..*",
        description =
            "If given, requests to /v1 must send 'Authorization: Bearer KEY'. Default: env"
                + " VLLM_API_KEY.")
    List<String> apiKeys = new ArrayList<>();

    @Option(
        names = "--max-num-seqs",
        paramLabel = "N",
        description = "Maximum number of sequences per iteration.")
    @Nullable Integer maxNumSeqs;

    @Option(
        names = "--max-num-batched-tokens",
        paramLabel = "N",
        description = "Maximum number of batched tokens per iteration.")
    @Nullable String maxNumBatchedTokens;

    @Option(
        names = "--max-model-len",
        paramLabel = "N",
        description =
            "Model context length (prompt and output). Accepts 1k/1K style suffixes (k=1000,"
                + " K=1024).")
    @Nullable String maxModelLen;

    @Option(
        names = "--block-size",
        paramLabel = "N",
        description = "Token block size for contiguous chunks of tokens (KV cache).")
    @Nullable Integer blockSize;

    @Option(
        names = "--gpu-memory-utilization",
        paramLabel = "FRACTION",
        description =
            "The fraction of GPU memory for the model executor, 0 to 1. Scales the KV cache in"
                + " proportion to the profile's (measured at 0.9).")
    @Nullable Double gpuMemoryUtilization;

    @Option(
        names = "--num-gpu-blocks-override",
        paramLabel = "N",
        description = "Number of GPU blocks to use. Overrides the profile's KV-cache size.")
    @Nullable Integer numGpuBlocksOverride;

    @Option(
        names = "--enable-prefix-caching",
        negatable = true,
        description = "Enables automatic prefix caching (vLLM's default: on).")
    @Nullable Boolean enablePrefixCaching;

    @Option(
        names = "--scheduling-policy",
        paramLabel = "POLICY",
        description = "The scheduling policy: fcfs or priority. Default: fcfs.")
    @Nullable String schedulingPolicy;

    @Option(
        names = "--seed",
        paramLabel = "SEED",
        description = "Random seed: every random choice of the emulator follows from it.")
    @Nullable Long seed;

    @Option(
        names = "--enable-prompt-tokens-details",
        description = "Report usage.prompt_tokens_details.cached_tokens.")
    boolean enablePromptTokensDetails;

    @Option(
        names = "--enable-force-include-usage",
        description = "End every stream with a usage chunk, asked for or not.")
    boolean enableForceIncludeUsage;

    @Option(
        names = "--profile",
        paramLabel = "PROFILE",
        defaultValue = "${env:LLMEMU_PROFILE:-" + Profiles.DEFAULT_PROFILE + "}",
        description =
            "[llmemu] Hardware profile: a bundled name, a file or a URL. Default:"
                + " ${DEFAULT-VALUE} (env LLMEMU_PROFILE). Known: see 'llmemu profiles'.")
    String profile = Profiles.DEFAULT_PROFILE;

    @Option(
        names = "--time-scale",
        paramLabel = "FACTOR",
        defaultValue = "${env:LLMEMU_TIME_SCALE:-1.0}",
        description =
            "[llmemu] Multiplies every engine step: 1 is the emulated GPU's speed, 0.1 ten times"
                + " faster. Default: ${DEFAULT-VALUE}.")
    double timeScale = 1.0;

    @Option(
        names = "--max-waiting-requests",
        paramLabel = "N",
        description =
            "[llmemu] Answer 429 with Retry-After once N requests wait. Default: unbounded, as"
                + " vLLM.")
    int maxWaitingRequests;

    @Option(
        names = "--readiness-delay",
        paramLabel = "DURATION",
        description =
            "[llmemu] Answer 503 (as a loading server) for this long after start, e.g. 5s or"
                + " 500ms.")
    @Nullable String readinessDelay;

    @Option(
        names = "--failure-rate",
        paramLabel = "FRACTION",
        description = "[llmemu] Answer this share of generation requests with an error.")
    double failureRate;

    @Option(
        names = "--failure-status",
        paramLabel = "STATUS",
        description = "[llmemu] The status of --failure-rate errors. Default: ${DEFAULT-VALUE}.",
        defaultValue = "500")
    int failureStatus = 500;

    @Option(
        names = "--max-request-body-bytes",
        paramLabel = "BYTES",
        description = "[llmemu] Larger request bodies get 413. Default: ${DEFAULT-VALUE}.",
        defaultValue = "33554432")
    int maxRequestBodyBytes = 32 * 1024 * 1024;

    EmulatedVllmServer.Builder builder() {
      EmulatedVllmServer.Builder b = EmulatedVllmServer.builder();
      applyTo(b, option -> true);
      return b;
    }

    /**
     * Applies the flags to a server builder; {@code given} says which options were given (all of
     * them for the CLI, whose defaults are the server's; only the matched ones for {@link
     * #applyServeFlags}).
     */
    void applyTo(EmulatedVllmServer.Builder b, java.util.function.Predicate<String> given) {
      HardwareProfile p;
      if (given.test("--profile")) {
        try {
          p = Profiles.load(profile);
        } catch (IllegalArgumentException e) {
          throw new UsageError("--profile: " + e.getMessage());
        }
        b.profile(p);
      } else {
        p = b.profile();
      }
      String modelName = model != null ? model : positionalModel;
      if (model != null && positionalModel != null && !model.equals(positionalModel)) {
        throw new UsageError(
            "MODEL given twice with different values: '"
                + positionalModel
                + "' and --model '"
                + model
                + "'");
      }
      if (given.test("--host")) {
        b.host(host);
      }
      if (given.test("--port")) {
        b.port(port);
      }
      List<String> names = new ArrayList<>(servedModelNames);
      if (names.isEmpty() && modelName != null) {
        names.add(modelName);
      }
      if (!names.isEmpty()) {
        b.servedModelName(names.toArray(new String[0]));
      }
      List<String> keys = new ArrayList<>(apiKeys);
      String envKey = System.getenv("VLLM_API_KEY");
      if (keys.isEmpty() && envKey != null && !envKey.isEmpty() && given.test("VLLM_API_KEY")) {
        keys.add(envKey);
      }
      if (!keys.isEmpty() || given.test("--api-key")) {
        b.apiKey(keys.toArray(new String[0]));
      }
      if (seed != null) {
        b.seed(seed);
      }
      Integer batched =
          maxNumBatchedTokens == null
              ? null
              : parseSize("--max-num-batched-tokens", maxNumBatchedTokens);
      Integer modelLen = maxModelLen == null ? null : parseSize("--max-model-len", maxModelLen);
      if (gpuMemoryUtilization != null
          && !(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) {
        throw new UsageError(
            "--gpu-memory-utilization must be in (0, 1], got " + gpuMemoryUtilization);
      }
      SchedulingPolicy policy;
      try {
        policy = schedulingPolicy == null ? null : SchedulingPolicy.parse(schedulingPolicy);
      } catch (IllegalArgumentException e) {
        throw new UsageError("--scheduling-policy: " + e.getMessage());
      }
      EngineConfig base = p.engineConfig();
      b.engineConfig(
          c -> {
            if (maxNumSeqs != null) {
              c.maxNumSeqs(maxNumSeqs);
            }
            if (batched != null) {
              c.maxNumBatchedTokens(batched);
            }
            if (modelLen != null) {
              c.maxModelLen(modelLen);
            }
            if (blockSize != null) {
              int kvTokens = (base.numGpuBlocks() - 1) * base.blockSize();
              c.blockSize(blockSize);
              c.numGpuBlocks(Math.max(2, kvTokens / blockSize + 1));
            }
            if (gpuMemoryUtilization != null) {
              int bs = blockSize != null ? blockSize : base.blockSize();
              long kvTokens = (long) (base.numGpuBlocks() - 1) * base.blockSize();
              c.numGpuBlocks(
                  (int) Math.max(2, Math.round(kvTokens * gpuMemoryUtilization / 0.9 / bs) + 1));
            }
            if (numGpuBlocksOverride != null) {
              c.numGpuBlocks(numGpuBlocksOverride);
            }
            if (enablePrefixCaching != null) {
              c.enablePrefixCaching(enablePrefixCaching);
            }
            if (policy != null) {
              c.schedulingPolicy(policy);
            }
          });
      try {
        if (given.test("--time-scale")) {
          b.timeScale(timeScale);
        }
        if (given.test("--max-waiting-requests")) {
          b.maxWaitingRequests(maxWaitingRequests);
        }
        if (given.test("--failure-rate") || given.test("--failure-status")) {
          b.failureRate(failureRate, failureStatus);
        }
        if (given.test("--max-request-body-bytes")) {
          b.maxRequestBodyBytes(maxRequestBodyBytes);
        }
        if (readinessDelay != null) {
          b.readinessDelay(parseDuration("--readiness-delay", readinessDelay));
        }
      } catch (IllegalArgumentException e) {
        throw new UsageError(e.getMessage());
      }
      if (given.test("--enable-prompt-tokens-details")) {
        b.enablePromptTokensDetails(enablePromptTokensDetails);
      }
      if (given.test("--enable-force-include-usage")) {
        b.enableForceIncludeUsage(enableForceIncludeUsage);
      }
    }

    @Override
    public Integer call() throws InterruptedException {
      EmulatedVllmServer.Builder b = builder();
      EmulatedVllmServer server;
      try {
        server = b.build();
      } catch (IllegalArgumentException e) {
        throw new UsageError(e.getMessage());
      }
      PrintWriter out = spec.commandLine().getOut();
      HardwareProfile p = b.profile();
      server.start();
      EngineConfig c = server.engine().orElseThrow().config();
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    server.close();
                    stopped.countDown();
                  },
                  "llmemu-shutdown"));
      out.printf(
          Locale.ROOT,
          "llmemu %s: emulated vLLM %s, profile %s (%s on %s)%n",
          llmemuVersion(),
          EmulatedVllmServer.VLLM_VERSION.replace("+llmemu", ""),
          p.name(),
          p.model(),
          p.gpu());
      out.printf(
          Locale.ROOT,
          "max_num_seqs=%d max_num_batched_tokens=%d max_model_len=%d block_size=%d"
              + " prefix_caching=%s scheduling=%s time_scale=%s%n",
          c.maxNumSeqs(),
          c.maxNumBatchedTokens(),
          c.maxModelLen(),
          c.blockSize(),
          c.enablePrefixCaching(),
          c.schedulingPolicy().name().toLowerCase(Locale.ROOT),
          timeScale);
      out.printf(Locale.ROOT, "GPU KV cache size: %,d tokens%n", c.kvCacheTokens());
      out.printf(
          Locale.ROOT,
          "Maximum concurrency for %,d tokens per request: %.2fx%n",
          c.maxModelLen(),
          (double) c.kvCacheTokens() / c.maxModelLen());
      out.printf(
          Locale.ROOT,
          "Serving model %s. Starting vLLM API server on %s%n",
          server.servedModelName(),
          server.baseUrl());
      out.flush();
      stopped.await();
      return 0;
    }
  }

  static int parseSize(String flag, String value) {
    String v = value.strip();
    long multiplier = 1;
    if (!v.isEmpty()) {
      char last = v.charAt(v.length() - 1);
      switch (last) {
        case 'k' -> multiplier = 1000;
        case 'K' -> multiplier = 1024;
        case 'm' -> multiplier = 1_000_000;
        case 'M' -> multiplier = 1024 * 1024;
        default -> multiplier = 1;
      }
      if (multiplier != 1) {
        v = v.substring(0, v.length() - 1);
      }
    }
    try {
      double d = Double.parseDouble(v);
      long n = Math.round(d * multiplier);
      if (d <= 0 || n > Integer.MAX_VALUE || Math.abs(d * multiplier - n) > 1e-9) {
        throw new NumberFormatException();
      }
      return (int) n;
    } catch (NumberFormatException e) {
      throw new UsageError(
          flag + ": expected a positive token count such as 8192 or 8k, got '" + value + "'");
    }
  }

  static Duration parseDuration(String flag, String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    try {
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      if (v.endsWith("s")) {
        return Duration.ofMillis(
            Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
      }
      if (v.endsWith("m")) {
        return Duration.ofSeconds(
            Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 60));
      }
      return Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
    } catch (NumberFormatException | ArithmeticException e) {
      throw new UsageError(flag + ": expected a duration such as 5s or 500ms, got '" + value + "'");
    }
  }

  /** Exit 0 if a server answers {@code GET /health} with 200: for container health checks. */
  @Command(
      name = "health",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = {
        "Exit 0 if the server at HOST:PORT answers GET /health with 200, else 1.",
        "With --wait, keep asking until it does, for a server starting in the background."
      })
  static final class Health implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--host",
        paramLabel = "HOST",
        defaultValue = "${env:LLMEMU_HOST:-127.0.0.1}",
        description = "Default: ${DEFAULT-VALUE} (0.0.0.0 means this machine).")
    String host = "127.0.0.1";

    @Option(
        names = "--port",
        paramLabel = "PORT",
        defaultValue = "${env:LLMEMU_PORT:-8000}",
        description = "Default: ${DEFAULT-VALUE}.")
    int port = 8000;

    @Option(
        names = "--timeout",
        paramLabel = "DURATION",
        defaultValue = "5s",
        description = "Give up after this long. Default: ${DEFAULT-VALUE}.")
    String timeout = "5s";

    @Option(
        names = "--wait",
        paramLabel = "DURATION",
        defaultValue = "0s",
        description =
            "Keep asking every 100 ms until the server is healthy or this long has passed."
                + " Default: ${DEFAULT-VALUE} (ask once).")
    String wait = "0s";

    @Override
    public Integer call() {
      Duration t = parseDuration("--timeout", timeout);
      long deadline = System.nanoTime() + parseDuration("--wait", wait).toNanos();
      String h = host.equals("0.0.0.0") || host.isEmpty() ? "127.0.0.1" : host;
      if (h.contains(":") && !h.startsWith("[")) {
        h = "[" + h + "]";
      }
      URI uri = URI.create("http://" + h + ":" + port + "/health");
      HttpClient client = HttpClient.newBuilder().connectTimeout(t).build();
      try {
        while (true) {
          String problem = problem(client, uri, t);
          if (problem == null) {
            spec.commandLine().getOut().println(uri + ": healthy");
            return 0;
          }
          if (System.nanoTime() >= deadline) {
            spec.commandLine().getErr().println(uri + ": " + problem);
            return 1;
          }
          Thread.sleep(100);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 1;
      }
    }

    /** Null if {@code GET uri} answers 200, else what went wrong. */
    private static @Nullable String problem(HttpClient client, URI uri, Duration timeout)
        throws InterruptedException {
      try {
        HttpResponse<Void> res =
            client.send(
                HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.discarding());
        return res.statusCode() == 200 ? null : "unhealthy (HTTP " + res.statusCode() + ")";
      } catch (java.io.IOException e) {
        return "unreachable (" + e + ")";
      }
    }
  }

  /** Lists the bundled hardware profiles. */
  @Command(
      name = "profiles",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = "List the bundled hardware profiles.")
  static final class ListProfiles implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      for (String name : Profiles.knownNames()) {
        HardwareProfile p = Profiles.load(name);
        spec.commandLine()
            .getOut()
            .println(
                name
                    + (name.equals(Profiles.DEFAULT_PROFILE) ? " (default)" : "")
                    + ": "
                    + p.model()
                    + " on "
                    + p.gpu());
      }
      return 0;
    }
  }
}
