package dev.llmemu.junit;

import dev.llmemu.engine.profile.Profiles;
import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.junit.internal.LoadReports;
import dev.llmemu.junit.spi.ServerLauncher;
import dev.llmemu.junit.spi.ServerSpec;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import org.jspecify.annotations.Nullable;
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
 * The JUnit 5 extension behind {@link EmulatedVllm}; also usable programmatically:
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
 *   String url = vllm.openAiBaseUrl();
 * }
 * }</pre>
 *
 * A static field gives one server per class, its recorded requests cleared before each test; an
 * instance field gives a server per test. Servers live in the {@link ExtensionContext.Store} and
 * are closed with it; test classes running in parallel each get their own servers on their own
 * ports.
 */
public final class EmulatedVllmExtension
    implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {
  /** System property (or environment variable {@code LLMEMU_MODE}) that overrides every mode. */
  public static final String MODE_PROPERTY = "llmemu.mode";

  /** System property (or {@code LLMEMU_URL}): comma-separated URLs of external servers. */
  public static final String URL_PROPERTY = "llmemu.url";

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(EmulatedVllmExtension.class);
  private static final String SERVERS = "servers";

  private final @Nullable Settings programmatic;
  // Convenience for server()/baseUrl() on @RegisterExtension fields; the Store owns the servers.
  private volatile @Nullable Servers current;

  /** Used by {@code @ExtendWith} through {@link EmulatedVllm}. */
  EmulatedVllmExtension() {
    this.programmatic = null;
  }

  private EmulatedVllmExtension(Settings settings) {
    this.programmatic = settings;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The first replica of the server this extension started for the running test. */
  public EmulatedVllmServer server() {
    Servers s = current;
    if (s == null) {
      throw new IllegalStateException(
          "no server yet: call server() from a test or lifecycle method");
    }
    return s.first();
  }

  /** Every replica, in replica order. */
  public List<EmulatedVllmServer> servers() {
    Servers s = current;
    if (s == null) {
      throw new IllegalStateException(
          "no server yet: call servers() from a test or lifecycle method");
    }
    return s.all();
  }

  public String baseUrl() {
    return server().baseUrl();
  }

  public String openAiBaseUrl() {
    return server().openAiBaseUrl();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    Settings settings = settings(context);
    Servers servers = start(settings, context);
    context.getStore(NAMESPACE).put(SERVERS, servers);
    current = servers;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    Servers servers = store.get(SERVERS, Servers.class);
    if (servers == null) {
      // an instance-field extension: a server per test
      servers = start(settings(context), context);
      store.put(SERVERS, servers);
    } else if (settings(context).resetBetweenTests) {
      servers.reset();
    }
    current = servers;
    LoadReports.begin(context);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    LoadReports.end();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext context) {
    Type type = parameterContext.getParameter().getParameterizedType();
    return type == EmulatedVllmServer.class || isListOfServers(type);
  }

  @Override
  public Object resolveParameter(ParameterContext parameterContext, ExtensionContext context) {
    Servers servers = context.getStore(NAMESPACE).get(SERVERS, Servers.class);
    if (servers == null) {
      throw new ParameterResolutionException(
          "no emulated vLLM server is running for "
              + parameterContext.getDeclaringExecutable()
              + ": constructors of classes with a per-test server cannot take one");
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
      return programmatic;
    }
    Optional<EmulatedVllm> annotation =
        context
            .getTestClass()
            .flatMap(c -> AnnotationSupport.findAnnotation(c, EmulatedVllm.class));
    EmulatedVllm a =
        annotation.orElseThrow(
            () ->
                new ExtensionConfigurationException(
                    "@EmulatedVllm not found on " + context.getRequiredTestClass().getName()));
    return new Settings(
        a.profile().isEmpty() ? null : a.profile(),
        a.model().isEmpty() ? null : a.model(),
        a.seed(),
        List.of(a.args()),
        a.mode(),
        a.replicas(),
        true,
        "@EmulatedVllm");
  }

  private static Servers start(Settings settings, ExtensionContext context) {
    settings.validate();
    Mode mode = effectiveMode(settings.mode);
    ServerSpec spec =
        new ServerSpec(
            settings.profile, settings.model, settings.seed, settings.args, settings.replicas);
    List<EmulatedVllmServer> started = new ArrayList<>();
    try {
      for (int i = 0; i < settings.replicas; i++) {
        started.add(launch(mode, spec, i, settings));
      }
    } catch (RuntimeException e) {
      started.forEach(EmulatedVllmServer::close);
      throw e;
    }
    for (int i = 0; i < started.size(); i++) {
      context.publishReportEntry(
          "llmemu.server" + (started.size() > 1 ? "." + i : ""), started.get(i).baseUrl());
    }
    return new Servers(started);
  }

  private static EmulatedVllmServer launch(
      Mode mode, ServerSpec spec, int replica, Settings settings) {
    switch (mode) {
      case IN_PROCESS:
        try {
          EmulatedVllmServer.Builder b =
              EmulatedVllmServer.builder()
                  .seed(spec.seed() + replica)
                  .args(spec.args().toArray(new String[0]));
          if (spec.profile() != null) {
            b.profile(spec.profile());
          }
          if (spec.model() != null) {
            b.servedModelName(spec.model());
          }
          return b.start();
        } catch (IllegalArgumentException e) {
          throw new ExtensionConfigurationException(
              settings.origin + " not configured correctly: " + e.getMessage(), e);
        }
      case EXTERNAL:
        List<String> urls = externalUrls();
        if (replica >= urls.size()) {
          throw new ExtensionConfigurationException(
              settings.origin
                  + " asks for "
                  + spec.replicas()
                  + " replicas but "
                  + URL_PROPERTY
                  + " lists "
                  + urls.size()
                  + " URL(s): "
                  + urls
                  + ". Give one URL per replica, separated by commas.");
        }
        return EmulatedVllmServer.remote(urls.get(replica));
      default:
        for (ServerLauncher launcher : ServiceLoader.load(ServerLauncher.class)) {
          if (launcher.mode() == mode) {
            try {
              return launcher.launch(spec, replica);
            } catch (IllegalArgumentException e) {
              throw new ExtensionConfigurationException(
                  settings.origin + " not configured correctly: " + e.getMessage(), e);
            }
          }
        }
        throw new ExtensionConfigurationException(
            settings.origin
                + " runs in mode "
                + mode
                + " but no launcher for it is on the test classpath. Add the dependency"
                + " dev.llmemu:llmemu-testcontainers (test scope), or run in mode IN_PROCESS.");
    }
  }

  static Mode effectiveMode(Mode declared) {
    if (!externalUrls().isEmpty()) {
      return Mode.EXTERNAL;
    }
    String override = setting(MODE_PROPERTY, "LLMEMU_MODE");
    if (override == null || override.isBlank()) {
      return declared;
    }
    String normalized = override.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    if (normalized.equals("INPROCESS")) {
      normalized = "IN_PROCESS";
    }
    try {
      Mode mode = Mode.valueOf(normalized);
      if (mode == Mode.EXTERNAL) {
        throw new ExtensionConfigurationException(
            MODE_PROPERTY
                + "=external needs the servers' URLs in "
                + URL_PROPERTY
                + " (or LLMEMU_URL)");
      }
      return mode;
    } catch (IllegalArgumentException e) {
      throw new ExtensionConfigurationException(
          "unknown "
              + MODE_PROPERTY
              + " '"
              + override
              + "': expected one of in-process, container (or set "
              + URL_PROPERTY
              + " for an external server)");
    }
  }

  private static List<String> externalUrls() {
    String urls = setting(URL_PROPERTY, "LLMEMU_URL");
    if (urls == null || urls.isBlank()) {
      return List.of();
    }
    return Arrays.stream(urls.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  private static @Nullable String setting(String property, String env) {
    String value = System.getProperty(property);
    return value != null ? value : System.getenv(env);
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
      String origin) {

    /** Fails before anything starts, naming what is wrong and how to fix it. */
    void validate() {
      if (replicas < 1) {
        throw new ExtensionConfigurationException(
            origin + " not configured correctly: replicas must be at least 1, got " + replicas);
      }
      if (profile != null
          && !profile.contains("/")
          && !profile.contains("\\")
          && !profile.contains(":")
          && !profile.endsWith(".json")
          && !profile.endsWith(".gz")
          && !Profiles.knownNames().contains(profile)) {
        throw new ExtensionConfigurationException(
            origin
                + " not configured correctly: unknown hardware profile '"
                + profile
                + "'. Known profiles: "
                + Profiles.knownNames()
                + ". Use @EmulatedVllm(profile = \""
                + Profiles.DEFAULT_PROFILE
                + "\"), or give a profile file path or URL.");
      }
    }
  }

  /** The servers of one scope; closing the store closes them. */
  private static final class Servers implements AutoCloseable {
    private final List<EmulatedVllmServer> servers;

    Servers(List<EmulatedVllmServer> servers) {
      this.servers = List.copyOf(servers);
    }

    EmulatedVllmServer first() {
      return servers.get(0);
    }

    List<EmulatedVllmServer> all() {
      return servers;
    }

    void reset() {
      servers.forEach(EmulatedVllmServer::reset);
    }

    @Override
    public void close() {
      servers.forEach(EmulatedVllmServer::close);
    }
  }

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

    /** Bundled profile name, profile file path or URL. */
    public Builder profile(String value) {
      profile = Objects.requireNonNull(value, "profile");
      return this;
    }

    /** The served model name. */
    public Builder model(String value) {
      model = Objects.requireNonNull(value, "model");
      return this;
    }

    public Builder seed(long value) {
      seed = value;
      return this;
    }

    /** Further {@code vllm serve} flags. */
    public Builder args(String... values) {
      args.addAll(List.of(values));
      return this;
    }

    public Builder mode(Mode value) {
      mode = Objects.requireNonNull(value, "mode");
      return this;
    }

    public Builder replicas(int value) {
      replicas = value;
      return this;
    }

    /** Clear recorded requests before each test of a per-class server (default true). */
    public Builder resetBetweenTests(boolean value) {
      resetBetweenTests = value;
      return this;
    }

    public EmulatedVllmExtension build() {
      Settings s =
          new Settings(
              profile,
              model,
              seed,
              args,
              mode,
              replicas,
              resetBetweenTests,
              "EmulatedVllmExtension");
      return new EmulatedVllmExtension(s);
    }
  }
}
