package dev.llmemu.profiles.fidelity;

import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.engine.profile.Profiles;
import dev.llmemu.profiles.builder.Calibration;
import dev.llmemu.profiles.builder.ExperimentProfiles;
import dev.llmemu.profiles.builder.GpuSpec;
import dev.llmemu.profiles.builder.KernelData;
import dev.llmemu.profiles.builder.Overheads;
import dev.llmemu.profiles.builder.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Replays real experiments in the data's layout and prints the LLM-Emu-style fidelity tables.
 *
 * <pre>
 * FidelityCommand [EXPERIMENT_DIR...] [--gpu h100] [--profile NAME|PATH|URL] [--seed 42]
 *                 [--write docs/fidelity.md]
 * </pre>
 *
 * Without directories it replays the four calibration runs. Without {@code --profile} it builds the
 * experiment's model on {@code --gpu} from kernel data with the committed calibration and the
 * experiment's own engine settings; with it, the named profile runs with the experiment's limits.
 * {@code --write} replaces the generated block of a markdown file.
 */
public final class FidelityCommand {
  static final String START = "<!-- fidelity-table:start -->";
  static final String END = "<!-- fidelity-table:end -->";

  private FidelityCommand() {}

  public static void main(String[] args) throws IOException {
    List<Path> dirs = new ArrayList<>();
    String gpu = "h100";
    String profile = null;
    long seed = 42;
    Path write = null;
    Path root = Path.of("");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--gpu" -> gpu = args[++i];
        case "--profile" -> profile = args[++i];
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--write" -> write = Path.of(args[++i]);
        case "--root" -> root = Path.of(args[++i]);
        case "--calibration-runs" -> {}
        default -> dirs.add(Path.of(args[i]));
      }
    }
    Path data = SharedData.require();
    if (dirs.isEmpty()) {
      dirs.addAll(InferencePerfExperiment.findAll(calibrationRoot(data)));
    }
    long t0 = System.nanoTime();
    List<StageComparison> all = run(dirs, GpuSpec.of(gpu), profile, Calibration.load(), seed, data);
    double seconds = (System.nanoTime() - t0) / 1e9;
    String table = render(all, dirs, seconds, seed);
    System.out.println(table);
    if (write != null) {
      Path target = write.isAbsolute() ? write : root.resolve(write);
      String doc = Files.readString(target);
      int s = doc.indexOf(START);
      int e = doc.indexOf(END);
      if (s < 0 || e < s) {
        throw new IllegalStateException(target + " has no " + START + " ... " + END + " block");
      }
      Files.writeString(
          target, doc.substring(0, s + START.length()) + "\n" + table + doc.substring(e));
      System.out.println("updated " + target);
    }
  }

  public static Path calibrationRoot(Path data) {
    return data.resolve("inference-sim-training").resolve("default_args");
  }

  public static List<StageComparison> run(
      List<Path> dirs, GpuSpec gpu, String profile, Overheads overheads, long seed, Path data) {
    KernelData kernels = profile == null ? KernelData.load(data, gpu) : null;
    List<StageComparison> all = new ArrayList<>();
    for (Path dir : dirs) {
      InferencePerfExperiment exp = InferencePerfExperiment.read(dir);
      HardwareProfile p;
      if (profile == null) {
        p = ExperimentProfiles.build(exp, kernels, overheads);
      } else {
        HardwareProfile base = Profiles.load(profile);
        p =
            base.withEngineConfig(
                base.engineConfig().toBuilder()
                    .maxNumSeqs(exp.maxNumSeqs())
                    .maxNumBatchedTokens(exp.maxNumBatchedTokens())
                    .maxModelLen(exp.maxModelLen())
                    .build());
      }
      all.addAll(InferencePerfReplay.compare(exp, p, seed));
    }
    return all;
  }

  static String render(List<StageComparison> all, List<Path> dirs, double seconds, long seed) {
    StringBuilder sb = new StringBuilder();
    sb.append("Signed error `(emulated / real − 1) × 100` per stage (bold: outside the target on a")
        .append(" non-overloaded stage). Seed ")
        .append(seed)
        .append("; ")
        .append(dirs.size())
        .append(" experiment(s) replayed in ")
        .append(String.format(Locale.ROOT, "%.1f", seconds))
        .append(" s of wall time.\n\n");
    sb.append(FidelityReport.errorTable(all)).append('\n');
    sb.append("Measured → emulated values:\n\n");
    sb.append(FidelityReport.valueTable(all));
    return sb.toString();
  }
}
