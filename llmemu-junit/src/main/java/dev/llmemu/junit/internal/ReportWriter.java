package dev.llmemu.junit.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.LatencyDistribution;
import dev.llmemu.junit.load.MetricsSample;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Paint;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jspecify.annotations.Nullable;

/**
 * Writes a load run's report: the {@code vllm bench serve}-style JSON and a PNG with the latency
 * CDFs (log scale, labelled in plain milliseconds) and, when the server exposed them, running and
 * waiting requests and KV-cache usage over time.
 */
public final class ReportWriter {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  // Okabe-Ito: tells apart for the common colour-vision deficiencies, prints in grey.
  private static final Color BLUE = new Color(0x00, 0x72, 0xB2);
  private static final Color VERMILLION = new Color(0xD5, 0x5E, 0x00);
  private static final Color GREEN = new Color(0x00, 0x9E, 0x73);
  private static final Color PURPLE = new Color(0xCC, 0x79, 0xA7);
  private static final Color ORANGE = new Color(0xE6, 0x9F, 0x00);
  private static final Paint[] LATENCY_COLOURS = {BLUE, VERMILLION, GREEN, PURPLE};

  static final int WIDTH = 1000;
  static final int CDF_HEIGHT = 520;
  static final int TIMELINE_HEIGHT = 380;

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
      int height = CDF_HEIGHT + (timeline == null ? 0 : TIMELINE_HEIGHT);
      BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = image.createGraphics();
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, height);
      cdf.draw(g, new Rectangle2D.Double(0, 0, WIDTH, CDF_HEIGHT));
      if (timeline != null) {
        timeline.draw(g, new Rectangle2D.Double(0, CDF_HEIGHT, WIDTH, TIMELINE_HEIGHT));
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
    LogAxis x = new LogAxis("latency (ms, log scale)");
    x.setSmallestValue(0.01);
    x.setNumberFormatOverride(plainNumbers());
    x.setTickUnit(new NumberTickUnit(1.0)); // one label per decade: 0.1, 1, 10, 100 ms
    x.setMinorTickMarksVisible(true);
    NumberAxis y = new NumberAxis("fraction of samples at or below");
    y.setRange(0, 1.0);
    y.setNumberFormatOverride(plainNumbers());
    XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, false);
    for (int i = 0; i < LATENCY_COLOURS.length; i++) {
      lines.setSeriesPaint(i, LATENCY_COLOURS[i]);
      lines.setSeriesStroke(i, new BasicStroke(2.2f));
    }
    XYPlot plot = new XYPlot(data, x, y, lines);
    JFreeChart chart = new JFreeChart("Latency CDFs", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.addSubtitle(subtitle(result.description()));
    style(chart);
    return chart;
  }

  private static XYSeries cdf(LatencyDistribution d) {
    XYSeries s =
        new XYSeries(
            String.format(
                Locale.ROOT,
                "%s  (p50 %.1f ms, p99 %.1f ms, n=%d)",
                d.name(),
                d.p50().toNanos() / 1e6,
                d.p99().toNanos() / 1e6,
                d.count()),
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
    XYSeries kv = new XYSeries("KV cache usage (%, right axis)");
    for (MetricsSample m : samples) {
      double t = m.at().toNanos() / 1e9;
      running.add(t, m.running());
      waiting.add(t, m.waiting());
      kv.add(t, m.kvCacheUsage() * 100);
    }
    NumberAxis time = new NumberAxis("time since the start of the run (s)");
    time.setNumberFormatOverride(plainNumbers());
    NumberAxis requests = new NumberAxis("requests");
    requests.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    XYStepRenderer steps = new XYStepRenderer();
    steps.setSeriesPaint(0, BLUE);
    steps.setSeriesPaint(1, VERMILLION);
    steps.setSeriesStroke(0, new BasicStroke(2.2f));
    steps.setSeriesStroke(1, new BasicStroke(2.2f));
    XYSeriesCollection counts = new XYSeriesCollection();
    counts.addSeries(running);
    counts.addSeries(waiting);
    XYPlot plot = new XYPlot(counts, time, requests, steps);

    NumberAxis percent = new NumberAxis("KV cache usage (%)");
    percent.setRange(0, 100);
    plot.setRangeAxis(1, percent);
    plot.setDataset(1, new XYSeriesCollection(kv));
    plot.mapDatasetToRangeAxis(1, 1);
    XYLineAndShapeRenderer kvLine = new XYLineAndShapeRenderer(true, false);
    kvLine.setSeriesPaint(0, ORANGE);
    kvLine.setSeriesStroke(
        0,
        new BasicStroke(
            1.8f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
    plot.setRenderer(1, kvLine);

    JFreeChart chart =
        new JFreeChart(
            "Server state over time (sampled from /metrics)",
            JFreeChart.DEFAULT_TITLE_FONT,
            plot,
            true);
    style(chart);
    return chart;
  }

  private static TextTitle subtitle(String description) {
    String text = description.length() <= 140 ? description : description.substring(0, 140) + "…";
    TextTitle t = new TextTitle(text, new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    t.setPaint(Color.DARK_GRAY);
    return t;
  }

  private static void style(JFreeChart chart) {
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
    plot.setRangeGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
    plot.setDomainGridlinesVisible(true);
    plot.setRangeGridlinesVisible(true);
    plot.setOutlineVisible(false);
  }

  private static DecimalFormat plainNumbers() {
    return new DecimalFormat("#,##0.###", DecimalFormatSymbols.getInstance(Locale.ROOT));
  }
}
