package dev.llmemu.profiles.fidelity;

import dev.llmemu.engine.StepBatch;
import dev.llmemu.engine.internal.profile.KernelStepModel;
import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.engine.profile.Profiles;
import dev.llmemu.profiles.builder.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Static-batch sanity check of a 70B profile against splitwise-sim's {@code perf_model.csv}
 * (measured Llama2-70B static batches on DGX H100/A100): the prefill time of a batch of prompts and
 * the time per decode step, side by side with the profile's mean step times (jitter-free).
 *
 * <pre>StaticBatchCheck [--profile h100-llama-2-70b-tp4] [--hardware h100-80gb] [--tp 4]</pre>
 */
public final class StaticBatchCheck {
  private StaticBatchCheck() {}

  /** One compared static batch (times in ms). */
  public record Row(
      int promptSize,
      int batch,
      double splitwisePrompt,
      double profilePrompt,
      double splitwiseToken,
      double profileToken) {}

  public static void main(String[] args) throws IOException {
    String profile = "h100-llama-2-70b-tp4";
    String hardware = "h100-80gb";
    int tp = 4;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--profile" -> profile = args[++i];
        case "--hardware" -> hardware = args[++i];
        case "--tp" -> tp = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    List<Row> rows = compare(Profiles.load(profile), SharedData.require(), hardware, tp);
    System.out.println(markdown(profile, hardware, tp, rows));
  }

  public static List<Row> compare(HardwareProfile p, Path data, String hardware, int tp)
      throws IOException {
    KernelStepModel model = (KernelStepModel) p.latencyModel();
    List<String> lines =
        Files.readAllLines(data.resolve("splitwise-sim").resolve("perf_model.csv"));
    List<String> h = List.of(lines.get(0).split(","));
    Map<String, double[]> sums = new HashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      if (!f[h.indexOf("model")].equals("llama2-70b")
          || !f[h.indexOf("hardware")].equals(hardware)
          || Integer.parseInt(f[h.indexOf("tensor_parallel")]) != tp
          || Integer.parseInt(f[h.indexOf("token_size")]) != 128) {
        continue;
      }
      String key = f[h.indexOf("prompt_size")] + "/" + f[h.indexOf("batch_size")];
      double[] s = sums.computeIfAbsent(key, k -> new double[3]);
      s[0] += Double.parseDouble(f[h.indexOf("prompt_time")]);
      s[1] += Double.parseDouble(f[h.indexOf("token_time")]);
      s[2]++;
    }
    List<Row> rows = new ArrayList<>();
    for (Map.Entry<String, double[]> e : sums.entrySet()) {
      String[] k = e.getKey().split("/");
      int prompt = Integer.parseInt(k[0]);
      int batch = Integer.parseInt(k[1]);
      double[] s = e.getValue();
      double prefill = model.meanMicros(new Static(batch, prompt, 0, false)) / 1000;
      double decode = model.meanMicros(new Static(batch, 1, prompt + 64, true)) / 1000;
      rows.add(new Row(prompt, batch, s[0] / s[2], prefill, s[1] / s[2], decode));
    }
    rows.sort(
        (a, b) ->
            a.promptSize() != b.promptSize()
                ? Integer.compare(a.promptSize(), b.promptSize())
                : Integer.compare(a.batch(), b.batch()));
    return rows;
  }

  static String markdown(String profile, String hardware, int tp, List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "%s vs splitwise-sim perf_model.csv (llama2-70b, %s, TP %d, 128 output tokens)%n%n",
            profile,
            hardware,
            tp));
    sb.append(
        "| prompt | batch | prompt time: splitwise → profile (ms) | ratio | time per token: splitwise → profile (ms) | ratio |\n");
    sb.append("|---:|---:|---|---:|---|---:|\n");
    for (Row r : rows) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| %d | %d | %.1f → %.1f | %.2f | %.1f → %.1f | %.2f |%n",
              r.promptSize(),
              r.batch(),
              r.splitwisePrompt(),
              r.profilePrompt(),
              r.profilePrompt() / r.splitwisePrompt(),
              r.splitwiseToken(),
              r.profileToken(),
              r.profileToken() / r.splitwiseToken()));
    }
    return sb.toString();
  }

  /** A static batch: {@code batch} prefills of {@code tokens} each, or {@code batch} decodes. */
  private record Static(int batch, int tokens, int kv, boolean decode) implements StepBatch {
    @Override
    public int totalTokens() {
      return decode ? batch : batch * tokens;
    }

    @Override
    public int numRequests() {
      return batch;
    }

    @Override
    public int numNewRequests() {
      return decode ? 0 : batch;
    }

    @Override
    public int numDecodes() {
      return decode ? batch : 0;
    }

    @Override
    public long decodeContextTokens() {
      return decode ? (long) batch * kv : 0;
    }

    @Override
    public int numPrefills() {
      return decode ? 0 : batch;
    }

    @Override
    public int prefillChunkTokens(int i) {
      return tokens;
    }

    @Override
    public int prefillContextTokens(int i) {
      return 0;
    }
  }
}
