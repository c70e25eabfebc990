package dev.llmemu.junit.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.LatencyDistribution;
import dev.llmemu.junit.load.MetricsSample;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jspecify.annotations.Nullable;

/**
 * Writes a load run's report: the {@code vllm bench serve}-style JSON and a PNG with the latency
 * CDFs and, when the server exposed them, running/waiting requests and KV-cache usage over time.
 */
public final class ReportWriter {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ReportWriter() {}

  public static Path writeJson(BenchmarkResult result, Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      JSON.writeValue(file.toFile(), result.toVllmBenchJson());
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Renders the chart; returns null (and writes nothing) if the JVM cannot render (no fonts). */
  public static @Nullable Path writeChart(BenchmarkResult result, Path file) {
    try {
      JFreeChart cdf = latencyCdfs(result);
      JFreeChart timeline =
          result.metricsTimeline().isEmpty() ? null : timeline(result.metricsTimeline());
      int width = 1000;
      int height = timeline == null ? 500 : 900;
      BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = image.createGraphics();
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      cdf.draw(g, new Rectangle2D.Double(0, 0, width, 500));
      if (timeline != null) {
        timeline.draw(g, new Rectangle2D.Double(0, 500, width, 400));
      }
      g.dispose();
      Files.createDirectories(file.toAbsolutePath().getParent());
      ImageIO.write(image, "png", file.toFile());
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    } catch (RuntimeException | LinkageError e) {
      // Headless JVMs without fonts cannot draw text; the JSON report still stands.
      return null;
    }
  }

  private static JFreeChart latencyCdfs(BenchmarkResult result) {
    XYSeriesCollection data = new XYSeriesCollection();
    for (LatencyDistribution d :
        List.of(result.ttft(), result.tpot(), result.itl(), result.e2eLatency())) {
      if (!d.isEmpty()) {
        data.addSeries(cdf(d));
      }
    }
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            "Latency CDFs: " + abbreviate(result.description()),
            "latency (ms, log scale)",
            "fraction of samples",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYPlot plot = chart.getXYPlot();
    org.jfree.chart.axis.LogAxis log = new org.jfree.chart.axis.LogAxis("latency (ms, log scale)");
    log.setSmallestValue(0.01);
    plot.setDomainAxis(log);
    ((NumberAxis) plot.getRangeAxis()).setRange(0, 1);
    style(plot);
    return chart;
  }

  private static XYSeries cdf(LatencyDistribution d) {
    XYSeries s =
        new XYSeries(
            d.name()
                + " (p99 "
                + String.format(java.util.Locale.ROOT, "%.1f", d.p99().toNanos() / 1e6)
                + " ms)",
            false);
    long[] v = d.sortedNanos();
    int step = Math.max(1, v.length / 2000);
    for (int i = 0; i < v.length; i += step) {
      s.add(Math.max(v[i] / 1e6, 0.01), (i + 1.0) / v.length);
    }
    s.add(Math.max(v[v.length - 1] / 1e6, 0.01), 1.0);
    return s;
  }

  private static JFreeChart timeline(List<MetricsSample> samples) {
    XYSeries running = new XYSeries("running requests");
    XYSeries waiting = new XYSeries("waiting requests");
    XYSeries kv = new XYSeries("KV cache usage (%)");
    for (MetricsSample m : samples) {
      double t = m.at().toNanos() / 1e9;
      running.add(t, m.running());
      waiting.add(t, m.waiting());
      kv.add(t, m.kvCacheUsage() * 100);
    }
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(running);
    data.addSeries(waiting);
    data.addSeries(kv);
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            "Server state over time (/metrics)",
            "time since start (s)",
            "requests / KV %",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    style(chart.getXYPlot());
    return chart;
  }

  private static void style(XYPlot plot) {
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
    for (int i = 0; i < 4; i++) {
      r.setSeriesStroke(i, new BasicStroke(2f));
    }
    plot.setRenderer(r);
  }

  private static String abbreviate(String s) {
    return s.length() <= 90 ? s : s.substring(0, 90) + "…";
  }
}
