package dev.llmemu.junit;

import dev.llmemu.engine.profile.Profiles;
import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.junit.internal.LoadReports;
import dev.llmemu.junit.spi.ServerLauncher;
import dev.llmemu.junit.spi.ServerSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit 5 extension behind {@link EmulatedVllm}; also usable programmatically, with {@link
 * #builder()}:
 *
 * <pre>{@code
 * @RegisterExtension
 * static EmulatedVllmExtension vllm = EmulatedVllmExtension.builder()
 *     .profile("a100-llama-3.1-8b")
 *     .args("--max-num-seqs", "16")
 *     .build();
 *
 * @Test
 * void streams() {
 *   ChatService service = new ChatService(vllm.openAiBaseUrl());
 *   ...
 * }
 * }</pre>
 *
 * <p><b>Lifecycle.</b> A static field (or {@code @EmulatedVllm}) gives one server per test class,
 * {@linkplain EmulatedVllmServer#reset() reset} before each test (recorded requests forgotten, time
 * scale and failure rate restored; {@link Builder#resetBetweenTests(boolean)} switches that off);
 * {@code @Nested} classes share it unless they declare their own {@code @EmulatedVllm}. An instance
 * field gives a fresh server for each test. Servers start before the class's (or test's) first
 * callback and stop when its scope ends.
 *
 * <p><b>State.</b> Servers live in the {@link ExtensionContext.Store}, under this extension's
 * namespace, and the store closes them. Test classes running in parallel each get their own servers
 * on their own ports. The accessors {@link #server()}, {@link #baseUrl()} and friends have no
 * context to look in: they answer with the servers of the test running on the calling thread (or a
 * thread it started), else with the only servers this extension has running; when one extension
 * instance serves several classes at once (a static field inherited by parallel subclasses) and the
 * caller is not a test thread, they fail and ask for a parameter instead.
 *
 * <p><b>Modes.</b> {@link Mode#IN_PROCESS} by default. The configuration parameter, system property
 * or environment variable {@code llmemu.mode}/{@code LLMEMU_MODE} switches every class to {@link
 * Mode#CONTAINER} (through a {@link ServerLauncher}, e.g. {@code llmemu-testcontainers}); {@code
 * llmemu.url}/{@code LLMEMU_URL} points every class at external servers ({@link Mode#EXTERNAL}: a
 * real vLLM, or llmemu started elsewhere), one comma-separated URL per replica.
 */
public final class EmulatedVllmExtension
    implements BeforeAllCallback,
        BeforeEachCallback,
        AfterEachCallback,
        AfterAllCallback,
        ParameterResolver {
  /**
   * Configuration parameter, system property (or environment variable {@code LLMEMU_MODE}) that
   * overrides every mode: {@code in-process} or {@code container}.
   */
  public static final String MODE_PROPERTY = "llmemu.mode";

  /**
   * Configuration parameter, system property (or {@code LLMEMU_URL}): comma-separated base URLs of
   * external servers, one per replica; when set, every class runs against them.
   */
  public static final String URL_PROPERTY = "llmemu.url";

  static final String MODE_ENV = "LLMEMU_MODE";
  static final String URL_ENV = "LLMEMU_URL";

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(EmulatedVllmExtension.class);

  private final @Nullable Settings programmatic;
  // Lookup only, for the accessors: the Store owns the servers and closes them.
  private final InheritableThreadLocal<@Nullable Servers> onThread = new InheritableThreadLocal<>();
  private final Set<Servers> live = ConcurrentHashMap.newKeySet();

  /** Used by {@code @ExtendWith} through {@link EmulatedVllm}. */
  EmulatedVllmExtension() {
    this.programmatic = null;
  }

  private EmulatedVllmExtension(Settings settings) {
    this.programmatic = settings;
  }

  /** Configures an extension for {@code @RegisterExtension}; every setting has a default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The first replica of the servers of the test running on this thread.
   *
   * @throws IllegalStateException outside a test or lifecycle method of a class this extension is
   *     registered in
   */
  public EmulatedVllmServer server() {
    return current("server()").first();
  }

  /** Every replica, in replica order (replica {@code i} is seeded {@code seed + i}). */
  public List<EmulatedVllmServer> servers() {
    return current("servers()").all();
  }

  /** {@link #server()}'s base URL, e.g. {@code http://127.0.0.1:41234}. */
  public String baseUrl() {
    return server().baseUrl();
  }

  /** {@link #server()}'s OpenAI base URL: {@link #baseUrl()} + {@code /v1}. */
  public String openAiBaseUrl() {
    return server().openAiBaseUrl();
  }

  /** {@link #server()}'s port. */
  public int port() {
    return server().port();
  }

  /** A URL on {@link #server()}: {@code url("/metrics")}. */
  public String url(String path) {
    return server().url(path);
  }

  private Servers current(String method) {
    Servers s = onThread.get();
    if (s != null && !s.isClosed()) {
      return s;
    }
    List<Servers> running = live.stream().filter(x -> !x.isClosed()).toList();
    if (running.size() == 1) {
      return running.get(0);
    }
    if (running.isEmpty()) {
      throw new IllegalStateException(
          "no server is running: call "
              + method
              + " from a test, a lifecycle method or a @DynamicPropertySource supplier of a class"
              + " this extension is registered in");
    }
    throw new IllegalStateException(
        "this extension runs servers for "
            + running.size()
            + " test classes at once and "
            + method
            + " was called outside their test threads: take EmulatedVllmServer as a test parameter"
            + " instead");
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    onThread.set(classServers(context));
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    Servers servers = store.get(this, Servers.class);
    if (servers == null) {
      // an instance field: a server per test
      servers = start(settings(context), context);
      store.put(this, servers);
    } else if (settings(context).resetBetweenTests) {
      servers.reset();
    }
    onThread.set(servers);
    store.put(new ReportKey(this), LoadReports.begin(context));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    LoadReports.Current reports =
        context.getStore(NAMESPACE).get(new ReportKey(this), LoadReports.Current.class);
    if (reports != null) {
      LoadReports.end(reports);
    }
    onThread.set(
        context.getParent().map(p -> p.getStore(NAMESPACE).get(this, Servers.class)).orElse(null));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    onThread.remove();
  }

  /** Starts (or finds) the servers of a class; @Nested classes share their enclosing class's. */
  private Servers classServers(ExtensionContext context) {
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    Servers existing = store.get(this, Servers.class); // looks in enclosing classes' stores too
    if (existing != null
        && (existing.owner.equals(context.getUniqueId()) || !declaresOwnSettings(context))) {
      return existing;
    }
    Servers servers = start(settings(context), context);
    store.put(this, servers);
    return servers;
  }

  private boolean declaresOwnSettings(ExtensionContext context) {
    return programmatic == null
        && context
            .getTestClass()
            .flatMap(c -> AnnotationSupport.findAnnotation(c, EmulatedVllm.class))
            .isPresent();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext context) {
    Type type = parameterContext.getParameter().getParameterizedType();
    return type == EmulatedVllmServer.class || isListOfServers(type);
  }

  @Override
  public Object resolveParameter(ParameterContext parameterContext, ExtensionContext context) {
    Servers servers = context.getStore(NAMESPACE).get(this, Servers.class);
    if (servers == null
        && context.getTestMethod().isEmpty()
        && context.getTestInstanceLifecycle().orElse(TestInstance.Lifecycle.PER_METHOD)
            == TestInstance.Lifecycle.PER_CLASS) {
      // @TestInstance(PER_CLASS): the constructor runs before beforeAll
      servers = classServers(context);
    }
    if (servers == null) {
      throw new ParameterResolutionException(
          "no emulated vLLM server is running for "
              + parameterContext.getDeclaringExecutable()
              + ": a server per test (an instance-field EmulatedVllmExtension) cannot be injected"
              + " into constructors or @BeforeAll methods; take it in the test method instead");
    }
    return isListOfServers(parameterContext.getParameter().getParameterizedType())
        ? servers.all()
        : servers.first();
  }

  private static boolean isListOfServers(Type type) {
    return type instanceof ParameterizedType p
        && p.getRawType() == List.class
        && p.getActualTypeArguments()[0] == EmulatedVllmServer.class;
  }

  private Settings settings(ExtensionContext context) {
    if (programmatic != null) {
      return programmatic.in(context.getRequiredTestClass());
    }
    Class<?> testClass = context.getRequiredTestClass();
    for (Class<?> c = testClass; c != null; c = enclosingOfNested(c)) {
      Optional<EmulatedVllm> found = AnnotationSupport.findAnnotation(c, EmulatedVllm.class);
      if (found.isPresent()) {
        EmulatedVllm a = found.get();
        return new Settings(
            a.profile().isEmpty() ? null : a.profile(),
            a.model().isEmpty() ? null : a.model(),
            a.seed(),
            List.of(a.args()),
            a.mode(),
            a.replicas(),
            true,
            true,
            testClass);
      }
    }
    throw new ExtensionConfigurationException(
        "EmulatedVllmExtension on "
            + testClass.getName()
            + " not configured correctly: no @EmulatedVllm found. Annotate the class with"
            + " @EmulatedVllm, or register the extension with"
            + " @RegisterExtension static EmulatedVllmExtension vllm ="
            + " EmulatedVllmExtension.builder().build()");
  }

  private static @Nullable Class<?> enclosingOfNested(Class<?> c) {
    return c.isMemberClass() && !Modifier.isStatic(c.getModifiers()) ? c.getEnclosingClass() : null;
  }

  private Servers start(Settings settings, ExtensionContext context) {
    settings.validate();
    Choice choice = choose(settings, context);
    List<EmulatedVllmServer> started =
        switch (choice.mode) {
          case IN_PROCESS -> startInProcess(settings);
          case EXTERNAL -> connectExternal(settings, choice);
          case CONTAINER -> launch(settings, choice);
        };
    Servers servers = new Servers(context.getUniqueId(), started, choice.mode, live::remove);
    live.add(servers);
    context.publishReportEntry("llmemu.mode", choice.mode.name());
    for (int i = 0; i < started.size(); i++) {
      context.publishReportEntry(
          "llmemu.server" + (started.size() > 1 ? "." + i : ""), started.get(i).baseUrl());
    }
    return servers;
  }

  private static List<EmulatedVllmServer> startInProcess(Settings settings) {
    // Build every replica first: a bad profile or flag fails before anything starts.
    List<EmulatedVllmServer.Builder> builders = new ArrayList<>();
    for (int i = 0; i < settings.replicas; i++) {
      EmulatedVllmServer.Builder b = EmulatedVllmServer.builder();
      try {
        if (settings.profile != null) {
          b.profile(settings.profile);
          b.profile(); // loads it now: an unreadable file fails here
        }
        b.args(settings.args.toArray(new String[0]));
      } catch (IllegalArgumentException | UncheckedIOException e) {
        throw settings.error(
            (settings.args.isEmpty() ? "" : "args " + settings.args + ": ") + e.getMessage(),
            settings.args.isEmpty() ? null : "Use the flags of 'vllm serve' (llmemu serve --help).",
            e);
      }
      b.seed(settings.seed + i);
      if (settings.model != null) {
        b.servedModelName(settings.model);
      }
      builders.add(b);
    }
    List<EmulatedVllmServer> started = new ArrayList<>();
    try {
      for (EmulatedVllmServer.Builder b : builders) {
        started.add(b.start());
      }
    } catch (RuntimeException e) {
      closeAll(started, e);
      throw e;
    }
    return started;
  }

  private static List<EmulatedVllmServer> connectExternal(Settings settings, Choice choice) {
    List<String> urls = choice.urls;
    if (urls.size() < settings.replicas) {
      throw settings.error(
          settings.replicas
              + " replicas, but "
              + choice.source
              + " lists "
              + urls.size()
              + " URL"
              + (urls.size() == 1 ? "" : "s")
              + ": "
              + urls,
          "Give one URL per replica, separated by commas.",
          null);
    }
    List<EmulatedVllmServer> servers = new ArrayList<>();
    for (int i = 0; i < settings.replicas; i++) {
      String url = urls.get(i);
      EmulatedVllmServer server;
      try {
        server = EmulatedVllmServer.remote(url);
      } catch (IllegalArgumentException e) {
        throw settings.error(
            choice.source + ": " + e.getMessage(), "Give base URLs such as http://host:8000.", e);
      }
      String problem = unreachable(server.url("/health"));
      if (problem != null) {
        throw settings.error(
            "cannot reach the external server " + url + " (" + choice.source + "): " + problem,
            "Start it first, or unset " + URL_PROPERTY + " to run in process.",
            null);
      }
      servers.add(server);
    }
    return servers;
  }

  /** Null if the server answers HTTP at all (any status), else why not. */
  private static @Nullable String unreachable(String url) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
      c.setConnectTimeout(5_000);
      c.setReadTimeout(10_000);
      try {
        c.getResponseCode();
        return null;
      } finally {
        c.disconnect();
      }
    } catch (IOException | RuntimeException e) {
      return e.toString();
    }
  }

  private static List<EmulatedVllmServer> launch(Settings settings, Choice choice) {
    ServerSpec spec =
        new ServerSpec(
            settings.profile, settings.model, settings.seed, settings.args, settings.replicas);
    for (ServerLauncher launcher : ServiceLoader.load(ServerLauncher.class)) {
      if (launcher.mode() == choice.mode) {
        try {
          List<EmulatedVllmServer> servers = launcher.launchAll(spec);
          if (servers.size() != settings.replicas) {
            closeAll(servers, null);
            throw new IllegalStateException(
                launcher.getClass().getName()
                    + " started "
                    + servers.size()
                    + " servers for "
                    + settings.replicas
                    + " replicas");
          }
          return List.copyOf(servers);
        } catch (IllegalArgumentException e) {
          throw settings.error(String.valueOf(e.getMessage()), null, e);
        }
      }
    }
    throw settings.error(
        "mode "
            + choice.mode
            + " (from "
            + choice.source
            + ") needs a launcher for it, but none is on the test classpath",
        "Add the test dependency dev.llmemu:llmemu-testcontainers, or use mode IN_PROCESS.",
        null);
  }

  private static void closeAll(List<EmulatedVllmServer> servers, @Nullable RuntimeException cause) {
    for (EmulatedVllmServer s : servers) {
      try {
        s.close();
      } catch (RuntimeException e) {
        if (cause != null) {
          cause.addSuppressed(e);
        }
      }
    }
  }

  /** The effective mode, and where it came from (for messages). */
  private record Choice(Mode mode, String source, List<String> urls) {}

  private static Choice choose(Settings settings, ExtensionContext context) {
    Setting url = setting(context, URL_PROPERTY, URL_ENV);
    Setting mode = setting(context, MODE_PROPERTY, MODE_ENV);
    if (url != null) {
      List<String> urls =
          Arrays.stream(url.value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
      if (mode != null && !normalize(mode.value).equals("EXTERNAL")) {
        throw settings.error(
            mode.describe() + " and " + url.describe() + " are both set",
            "Unset one: " + URL_PROPERTY + " alone runs against external servers.",
            null);
      }
      return new Choice(Mode.EXTERNAL, url.describe(), urls);
    }
    if (mode == null) {
      String source =
          settings.mode == Mode.IN_PROCESS
              ? "the default"
              : settings.annotation
                  ? "@EmulatedVllm(mode = " + settings.mode + ")"
                  : "EmulatedVllmExtension.builder().mode(" + settings.mode + ")";
      if (settings.mode == Mode.EXTERNAL) {
        throw settings.error(
            "mode EXTERNAL is chosen by setting " + URL_PROPERTY + ", which is not set",
            "Set "
                + URL_PROPERTY
                + " (or "
                + URL_ENV
                + ") to the server's base URL, e.g. -D"
                + URL_PROPERTY
                + "=http://gpu-box:8000.",
            null);
      }
      return new Choice(settings.mode, source, List.of());
    }
    String normalized = normalize(mode.value);
    if (normalized.equals("EXTERNAL")) {
      throw settings.error(
          mode.describe() + " needs the servers' URLs, but " + URL_PROPERTY + " is not set",
          "Set "
              + URL_PROPERTY
              + " (or "
              + URL_ENV
              + ") to the base URLs, e.g. -D"
              + URL_PROPERTY
              + "=http://gpu-box:8000.",
          null);
    }
    try {
      return new Choice(Mode.valueOf(normalized), mode.describe(), List.of());
    } catch (IllegalArgumentException e) {
      throw settings.error(
          "unknown mode in " + mode.describe() + ". Known modes: [in-process, container]",
          "Use "
              + MODE_PROPERTY
              + "=container to run every @EmulatedVllm class against containers, or set "
              + URL_PROPERTY
              + " to run them against external servers.",
          null);
    }
  }

  private static String normalize(String mode) {
    String n = mode.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    return n.equals("INPROCESS") ? "IN_PROCESS" : n;
  }

  /** A suite-wide setting and where it was found. */
  private record Setting(String name, String value, boolean fromEnvironment) {
    String describe() {
      return (fromEnvironment ? "environment variable " : "") + name + "=" + value;
    }
  }

  /** JUnit configuration parameter (which includes system properties), then environment. */
  private static @Nullable Setting setting(ExtensionContext context, String property, String env) {
    Optional<String> parameter = context.getConfigurationParameter(property);
    String value = parameter.orElseGet(() -> System.getProperty(property));
    if (value != null && !value.isBlank()) {
      return new Setting(property, value.trim(), false);
    }
    String fromEnv = System.getenv(env);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new Setting(env, fromEnv.trim(), true);
    }
    return null;
  }

  /** The extension's configuration, from the annotation or the builder. */
  private record Settings(
      @Nullable String profile,
      @Nullable String model,
      long seed,
      List<String> args,
      Mode mode,
      int replicas,
      boolean resetBetweenTests,
      boolean annotation,
      @Nullable Class<?> testClass) {

    Settings in(Class<?> c) {
      return new Settings(
          profile, model, seed, args, mode, replicas, resetBetweenTests, annotation, c);
    }

    /** Fails before anything starts, naming what is wrong and how to fix it. */
    void validate() {
      if (replicas < 1) {
        throw error(
            "replicas is " + replicas + ", but at least 1 is needed",
            "Use " + attribute("replicas", "1") + " or more.",
            null);
      }
      for (String a : args) {
        String flag = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
        if (flag.equals("--seed") || flag.equals("--profile")) {
          String attr = flag.substring(2);
          throw error(
              "args " + args + " set " + flag + ", which the " + attr + " setting controls",
              "Use "
                  + attribute(
                      attr, attr.equals("seed") ? "42" : "\"" + Profiles.DEFAULT_PROFILE + "\"")
                  + (attr.equals("seed") ? " (replica i is seeded seed + i)." : "."),
              null);
        }
      }
      if (profile != null && looksLikeName(profile) && !Profiles.knownNames().contains(profile)) {
        throw error(
            "unknown hardware profile '" + profile + "'. Known profiles: " + Profiles.knownNames(),
            "Use "
                + attribute("profile", "\"" + Profiles.DEFAULT_PROFILE + "\"")
                + ", or the path or URL of a profile file.",
            null);
      }
    }

    private static boolean looksLikeName(String profile) {
      return !profile.contains("/")
          && !profile.contains("\\")
          && !profile.contains(":")
          && !profile.endsWith(".json")
          && !profile.endsWith(".gz");
    }

    String attribute(String name, String value) {
      return annotation
          ? "@EmulatedVllm(" + name + " = " + value + ")"
          : "EmulatedVllmExtension.builder()." + name + "(" + value + ")";
    }

    ExtensionConfigurationException error(
        @Nullable String what, @Nullable String fix, @Nullable Throwable cause) {
      String origin = annotation ? "@EmulatedVllm" : "EmulatedVllmExtension";
      String where = testClass == null ? "" : " on " + testClass.getSimpleName();
      String message =
          origin
              + where
              + " not configured correctly: "
              + what
              + "."
              + (fix == null ? "" : " " + fix);
      message = message.replace("..", ".");
      return cause == null
          ? new ExtensionConfigurationException(message)
          : new ExtensionConfigurationException(message, cause);
    }
  }

  /** The servers of one scope (a class or a test); the store closes them with the scope. */
  private static final class Servers implements AutoCloseable {
    final String owner;
    private final List<EmulatedVllmServer> servers;
    private final Mode mode;
    private final java.util.function.Consumer<Servers> onClose;
    private final AtomicBoolean closed = new AtomicBoolean();

    Servers(
        String owner,
        List<EmulatedVllmServer> servers,
        Mode mode,
        java.util.function.Consumer<Servers> onClose) {
      this.owner = owner;
      this.servers = List.copyOf(servers);
      this.mode = mode;
      this.onClose = onClose;
    }

    EmulatedVllmServer first() {
      return servers.get(0);
    }

    List<EmulatedVllmServer> all() {
      return servers;
    }

    boolean isClosed() {
      return closed.get();
    }

    void reset() {
      for (EmulatedVllmServer s : servers) {
        try {
          s.reset();
        } catch (UnsupportedOperationException e) {
          if (mode != Mode.EXTERNAL) {
            throw e;
          }
          // an external server that is not llmemu (a real vLLM) has nothing to reset
        }
      }
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        onClose.accept(this);
        RuntimeException failure = null;
        for (EmulatedVllmServer s : servers) {
          try {
            s.close();
          } catch (RuntimeException e) {
            if (failure == null) {
              failure = e;
            } else {
              failure.addSuppressed(e);
            }
          }
        }
        if (failure != null) {
          throw failure;
        }
      }
    }
  }

  /** Store key of a test's report hand-over, per extension instance. */
  private record ReportKey(EmulatedVllmExtension extension) {}

  /** Configures an {@link EmulatedVllmExtension} for {@code @RegisterExtension}. */
  public static final class Builder {
    private @Nullable String profile;
    private @Nullable String model;
    private long seed;
    private final List<String> args = new ArrayList<>();
    private Mode mode = Mode.IN_PROCESS;
    private int replicas = 1;
    private boolean resetBetweenTests = true;

    private Builder() {}

    /** Bundled profile name, profile file path or URL; default: the default profile. */
    public Builder profile(String value) {
      profile = Objects.requireNonNull(value, "profile");
      return this;
    }

    /** The served model name; default: the profile's model id. */
    public Builder model(String value) {
      model = Objects.requireNonNull(value, "model");
      return this;
    }

    /** Seed of replica 0 (replica {@code i} gets {@code seed + i}); default 0. */
    public Builder seed(long value) {
      seed = value;
      return this;
    }

    /** Further {@code vllm serve} flags; calls accumulate. */
    public Builder args(String... values) {
      for (String v : values) {
        args.add(Objects.requireNonNull(v, "args"));
      }
      return this;
    }

    /**
     * Runs the emulated GPU {@code 1 / scale} times faster ({@code --time-scale}): 0.1 makes every
     * step ten times shorter. Latencies measured by tests shrink with it.
     */
    public Builder timeScale(double scale) {
      if (!(scale > 0) || Double.isInfinite(scale)) {
        throw new IllegalArgumentException("time scale must be positive and finite, got " + scale);
      }
      return args("--time-scale", Double.toString(scale));
    }

    /** Where the servers run (default {@link Mode#IN_PROCESS}); {@code llmemu.mode} overrides. */
    public Builder mode(Mode value) {
      mode = Objects.requireNonNull(value, "mode");
      return this;
    }

    /** How many identical servers to start, each on its own port (default 1). */
    public Builder replicas(int value) {
      replicas = value;
      return this;
    }

    /**
     * Whether a per-class server is {@linkplain EmulatedVllmServer#reset() reset} before each test
     * (default true).
     */
    public Builder resetBetweenTests(boolean value) {
      resetBetweenTests = value;
      return this;
    }

    /** The extension; its configuration is checked when the first test class starts. */
    public EmulatedVllmExtension build() {
      return new EmulatedVllmExtension(
          new Settings(
              profile,
              model,
              seed,
              List.copyOf(args),
              mode,
              replicas,
              resetBetweenTests,
              false,
              null));
    }
  }
}
