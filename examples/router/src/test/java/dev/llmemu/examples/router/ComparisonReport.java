package dev.llmemu.examples.router;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The comparison's outputs: a JSON file, a Markdown table and a chart. */
final class ComparisonReport {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  // Okabe-Ito colours, one per router, as the library's own reports use.
  private static final Color[] COLOURS = {
    new Color(0xD5, 0x5E, 0x00), new Color(0x00, 0x72, 0xB2), new Color(0x00, 0x9E, 0x73)
  };

  /**
   * One router at one rate. Latencies are in milliseconds of the emulated GPU's time (measured wall
   * time divided by the time scale); rates in requests per second of that time.
   */
  record Run(
      String router,
      double rate,
      int requests,
      int completed,
      int failed,
      double ttftP50,
      double ttftP99,
      double e2eP50,
      double e2eP99,
      double tpotP50,
      double sloAttainment,
      double goodput,
      double serverQueueMean,
      double peakWaiting,
      List<Long> perBackend,
      double wallSeconds,
      long[] ttftNanos) {}

  private ComparisonReport() {}

  /**
   * The highest rate at which a router still meets the SLO for at least {@code attainment} of the
   * requests: linear between the last rate that does and the first that does not; {@code NaN} when
   * even the lowest rate fails, the highest rate when none fails (a lower bound).
   */
  static double sustainedRate(List<Run> runs, String router, double attainment) {
    List<Run> mine = runs.stream().filter(r -> r.router().equals(router)).toList();
    Run previous = null;
    for (Run r : mine) {
      if (r.sloAttainment() < attainment) {
        if (previous == null) {
          return Double.NaN;
        }
        double f =
            (previous.sloAttainment() - attainment)
                / (previous.sloAttainment() - r.sloAttainment());
        return previous.rate() + f * (r.rate() - previous.rate());
      }
      previous = r;
    }
    return previous == null ? Double.NaN : previous.rate();
  }

  static void writeJson(
      Path file, Map<String, Object> settings, List<Run> runs, Map<String, Double> sustained) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("settings", settings);
    root.put("sustained_rate_req_s", sustained);
    root.put(
        "runs",
        runs.stream()
            .map(
                r -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("router", r.router());
                  m.put("request_rate", r.rate());
                  m.put("num_prompts", r.requests());
                  m.put("completed", r.completed());
                  m.put("failed", r.failed());
                  m.put("p50_ttft_ms", r.ttftP50());
                  m.put("p99_ttft_ms", r.ttftP99());
                  m.put("p50_e2el_ms", r.e2eP50());
                  m.put("p99_e2el_ms", r.e2eP99());
                  m.put("p50_tpot_ms", r.tpotP50());
                  m.put("slo_attainment", r.sloAttainment());
                  m.put("request_goodput", r.goodput());
                  m.put("mean_server_queue_ms", r.serverQueueMean());
                  m.put("peak_waiting_requests", r.peakWaiting());
                  m.put("requests_per_backend", r.perBackend());
                  m.put("wall_seconds", r.wallSeconds());
                  return m;
                })
            .toList());
    try {
      Files.createDirectories(file.getParent());
      JSON.writeValue(file.toFile(), root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String markdown(
      List<Run> runs, Map<String, Double> sustained, double attainment, String sloText) {
    StringBuilder md = new StringBuilder();
    md.append(
        "| rate (req/s) | router | p50 TTFT | p99 TTFT | p50 E2E | p99 E2E | SLO met | requests per"
            + " replica |\n");
    md.append("|---:|---|---:|---:|---:|---:|---:|---|\n");
    for (Run r : runs) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %s | %s | %.0f%% | %s |%n",
              rate(r.rate()),
              r.router(),
              ms(r.ttftP50()),
              ms(r.ttftP99()),
              ms(r.e2eP50()),
              ms(r.e2eP99()),
              100 * r.sloAttainment(),
              r.perBackend()));
    }
    md.append("\n| router | highest rate with ").append(sloText).append(" |\n|---|---:|\n");
    sustained.forEach(
        (router, rate) -> {
          boolean metEverywhere =
              runs.stream()
                  .filter(r -> r.router().equals(router))
                  .allMatch(r -> r.sloAttainment() >= attainment);
          String text =
              Double.isNaN(rate)
                  ? "below the lowest rate tried"
                  : String.format(Locale.ROOT, "%s%.1f req/s", metEverywhere ? "≥ " : "", rate);
          md.append("| ").append(router).append(" | ").append(text).append(" |\n");
        });
    return md.toString();
  }

  /** A request rate as people write it: {@code 8}, {@code 9.5}. */
  static String rate(double v) {
    return plain().format(v);
  }

  private static String ms(double v) {
    return v >= 1000
        ? String.format(Locale.ROOT, "%.2f s", v / 1000)
        : String.format(Locale.ROOT, "%.0f ms", v);
  }

  static void writeText(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Three panels: TTFT CDFs of every router at {@code cdfRate}; p99 TTFT against the rate; SLO
   * attainment against the rate. Returns false when the JVM cannot draw (no fonts).
   */
  static boolean writeChart(
      Path file,
      List<String> routers,
      List<Run> runs,
      double cdfRate,
      double timeScale,
      double attainment,
      String subtitle) {
    try {
      int w = 1500;
      int h = 520;
      BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = image.createGraphics();
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, w, h);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
      g.drawString(subtitle, 20, 22);
      int top = 34;
      cdfChart(routers, runs, cdfRate, timeScale)
          .draw(g, new Rectangle2D.Double(0, top, 500, h - top));
      rateChart(
              routers, runs, "p99 TTFT against load", "p99 TTFT (ms, log scale)", true, Double.NaN)
          .draw(g, new Rectangle2D.Double(500, top, 500, h - top));
      rateChart(
              routers,
              runs,
              "SLO attainment against load",
              "share of requests meeting the SLO",
              false,
              attainment)
          .draw(g, new Rectangle2D.Double(1000, top, 500, h - top));
      g.dispose();
      Files.createDirectories(file.getParent());
      ImageIO.write(image, "png", file.toFile());
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  private static JFreeChart cdfChart(
      List<String> routers, List<Run> runs, double rate, double timeScale) {
    XYSeriesCollection data = new XYSeriesCollection();
    for (String router : routers) {
      Run r =
          runs.stream()
              .filter(x -> x.router().equals(router) && x.rate() == rate)
              .findFirst()
              .orElseThrow();
      XYSeries s = new XYSeries(router, false);
      long[] v = r.ttftNanos();
      for (int i = 0; i < v.length; i++) {
        s.add(Math.max(v[i] / 1e6 / timeScale, 1), (i + 1.0) / v.length);
      }
      data.addSeries(s);
    }
    LogAxis x = new LogAxis("TTFT (ms, log scale)");
    x.setNumberFormatOverride(plain());
    x.setTickUnit(new NumberTickUnit(1.0));
    x.setMinorTickMarksVisible(true);
    NumberAxis y = new NumberAxis("fraction of requests at or below");
    y.setRange(0, 1.0);
    XYPlot plot = new XYPlot(data, x, y, renderer(routers.size(), false));
    return chart("TTFT at " + rate(rate) + " req/s", plot);
  }

  private static JFreeChart rateChart(
      List<String> routers,
      List<Run> runs,
      String title,
      String yLabel,
      boolean latency,
      double marker) {
    XYSeriesCollection data = new XYSeriesCollection();
    for (String router : routers) {
      XYSeries s = new XYSeries(router, false);
      for (Run r : runs) {
        if (r.router().equals(router)) {
          s.add(r.rate(), latency ? Math.max(r.ttftP99(), 1) : r.sloAttainment());
        }
      }
      data.addSeries(s);
    }
    NumberAxis x = new NumberAxis("request rate (req/s)");
    x.setAutoRangeIncludesZero(false);
    x.setNumberFormatOverride(plain());
    if (latency) {
      LogAxis log = new LogAxis(yLabel);
      log.setNumberFormatOverride(plain());
      log.setTickUnit(new NumberTickUnit(1.0));
      log.setMinorTickMarksVisible(true);
      XYPlot plot = new XYPlot(data, x, log, renderer(routers.size(), true));
      return chart(title, plot);
    }
    NumberAxis y = new NumberAxis(yLabel);
    y.setRange(0, 1.02);
    XYPlot plot = new XYPlot(data, x, y, renderer(routers.size(), true));
    if (!Double.isNaN(marker)) {
      ValueMarker m = new ValueMarker(marker);
      m.setPaint(Color.GRAY);
      m.setStroke(
          new BasicStroke(
              1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1, new float[] {6, 4}, 0));
      plot.addRangeMarker(m);
    }
    return chart(title, plot);
  }

  private static XYLineAndShapeRenderer renderer(int n, boolean shapes) {
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, shapes);
    for (int i = 0; i < n; i++) {
      r.setSeriesPaint(i, COLOURS[i % COLOURS.length]);
      r.setSeriesStroke(i, new BasicStroke(2.2f));
    }
    return r;
  }

  private static JFreeChart chart(String title, XYPlot plot) {
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
    plot.setRangeGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
    JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 15), plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }

  private static DecimalFormat plain() {
    return new DecimalFormat("#,##0.##", DecimalFormatSymbols.getInstance(Locale.ROOT));
  }
}
