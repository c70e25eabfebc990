package dev.llmemu.profiles.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** The kernel measurements of one GPU: aiconfigurator's vLLM kernels plus Vidur's per-layer ops. */
public final class KernelData {
  private final GpuSpec gpu;
  private final Aiconfigurator kernels;
  private final List<VidurOps> vidur;
  private final double attentionRelStd;
  private final BenchDecodeAttention benchDecode;
  private final List<String> sources = new ArrayList<>();

  private KernelData(Path data, GpuSpec gpu) {
    this.gpu = gpu;
    Path ai = data.resolve("aiconfigurator").resolve(gpu.aiconfigurator());
    this.kernels = Aiconfigurator.load(ai);
    sources.add(
        "ai-dynamo/aiconfigurator@095f58a5 systems/data/"
            + gpu.aiconfigurator().replace("/vllm-", "/{gemm,attention,comm}/vllm/")
            + " (Apache-2.0): bf16 GEMM, context/generation attention, custom all-reduce");
    Path compute =
        data.resolve("vidur").resolve("profiling").resolve("compute").resolve(gpu.vidur());
    List<VidurOps> ops = new ArrayList<>();
    try (Stream<Path> files = Files.walk(compute)) {
      for (Path p :
          files.filter(f -> f.getFileName().toString().equals("mlp.csv")).sorted().toList()) {
        String model = compute.relativize(p.getParent()).toString().replace('\\', '/');
        ops.add(VidurOps.load(p, model));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (ops.isEmpty()) {
      throw new IllegalStateException("no Vidur op profiles under " + compute);
    }
    this.vidur = List.copyOf(ops);
    sources.add(
        "microsoft/vidur@7d475133 data/profiling/compute/"
            + gpu.vidur()
            + "/*/mlp.csv (MIT): norms, rope, activation, embedding medians and std (jitter)");
    this.benchDecode = BenchDecodeAttention.load(data, gpu);
    this.attentionRelStd = attentionJitter(data);
    sources.add(
        "microsoft/vidur data/profiling/a100/attention.csv (MIT, legacy): attention run-to-run"
            + " jitter (median std/mean)");
  }

  public static KernelData load(Path data, GpuSpec gpu) {
    return new KernelData(data, gpu);
  }

  public GpuSpec gpu() {
    return gpu;
  }

  public Aiconfigurator kernels() {
    return kernels;
  }

  /**
   * Decode attention per layer, µs, from aiconfigurator's timings of vLLM's FlashAttention kernel.
   * Layouts it did not time (multi-head attention, e.g. Llama-2-7B's 32 query and 32 KV heads) are
   * mapped onto a timed layout with the same group size (query heads per KV head): heads are
   * independent, so (32, 32) at batch B is the same kernel work as (8, 8) at batch 4B.
   */
  public double decodeAttentionMicros(int heads, int kvHeads, double batch, double kv) {
    return kernels.generationAttentionMicros(heads, kvHeads, batch, kv);
  }

  /**
   * inference-sim's direct decode-attention measurement of a head layout, per layer, µs, if it has
   * one: a cross-check of {@link #decodeAttentionMicros} (docs/profiles.md), not used in profiles.
   */
  public java.util.Optional<Double> benchDecodeAttentionMicros(
      int heads, int kvHeads, double batch, double kv) {
    return benchDecode.micros(heads, kvHeads, batch, kv);
  }

  public double attentionRelStd() {
    return attentionRelStd;
  }

  public List<String> sources() {
    return List.copyOf(sources);
  }

  /** The Vidur op profile of the model nearest in hidden size (small ops scale with it). */
  public VidurOps vidurFor(int hidden) {
    return vidur.stream()
        .min(
            Comparator.comparingInt((VidurOps v) -> Math.abs(v.hidden() - hidden))
                .thenComparing(VidurOps::model))
        .orElseThrow();
  }

  private static double attentionJitter(Path data) {
    Path p =
        data.resolve("vidur")
            .resolve("profiling")
            .resolve("legacy")
            .resolve("a100_attention_n_embd8192_q64_kv8_tp2.csv");
    if (!Files.exists(p)) {
      return 0.01;
    }
    Csv c = Csv.read(p);
    List<Double> rel = new ArrayList<>();
    for (int i = 0; i < c.size(); i++) {
      for (String op : new String[] {"attn_decode", "attn_prefill"}) {
        double mean = c.num(i, "time_stats." + op + ".mean");
        double std = c.num(i, "time_stats." + op + ".std");
        if (mean > 0.02 && !Double.isNaN(std)) {
          rel.add(std / mean);
        }
      }
    }
    if (rel.isEmpty()) {
      return 0.01;
    }
    rel.sort(null);
    return rel.get(rel.size() / 2);
  }
}
