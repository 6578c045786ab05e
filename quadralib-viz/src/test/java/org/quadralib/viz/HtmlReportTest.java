package org.quadralib.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;

class HtmlReportTest {

    private static final Pattern DATA_URI = Pattern.compile("src=\"data:(image/[a-z+]+);base64,([A-Za-z0-9+/=]+)\"");

    @TempDir
    Path dir;

    private static HtmlReport sample() {
        BufferedImage maps = ActivationMaps.grid(Tensor.randn(new Rng(1), 1, 4, 5, 5), 0, 4);
        return new HtmlReport("QuadraLib run <1>")
                .heading("Accuracy")
                .paragraph("The quadratic model is **better** by `1.2%`.\n\n- first *point*\n- second <b>point</b>")
                .table(List.of(List.of("model", "params", "accuracy"), List.of("first-order", "1.25 MiB", "91.0%"),
                        List.of("quadratic", "2.50 MiB", "92.2%")))
                .preformatted("a  <  b\n  aligned")
                .chart("Loss per epoch", Charts.trainingCurves(Map.of("first-order", List.of(1.0, 0.5)), "Loss", "loss"))
                .chart("Loss as PNG", Charts.trainingCurves(Map.of("q", List.of(1.0, 0.4)), "Loss PNG", "loss"), Charts.Format.PNG)
                .image("Activation maps", maps);
    }

    @Test
    void pageHoldsEverySectionAndNothingExternal() throws Exception {
        String html = sample().render();
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.contains("<title>QuadraLib run &lt;1&gt;</title>"), html);
        assertTrue(html.contains("<h2>Accuracy</h2>"));
        assertTrue(html.contains("<p>The quadratic model is <strong>better</strong> by <code>1.2%</code>.</p>"), html);
        assertTrue(html.contains("<li>first <em>point</em></li>"), html);
        assertTrue(html.contains("<li>second &lt;b&gt;point&lt;/b&gt;</li>"), "raw HTML is escaped: " + html);
        assertTrue(html.contains("<th>accuracy</th>"));
        assertTrue(html.contains("<td>first-order</td><td class=\"num\">1.25 MiB</td><td class=\"num\">91.0%</td>"), html);
        assertTrue(html.contains("<pre>a  &lt;  b\n  aligned</pre>"));
        assertTrue(html.contains("<figcaption>Activation maps</figcaption>"));

        List<String[]> uris = new ArrayList<>();
        Matcher m = DATA_URI.matcher(html);
        while (m.find()) {
            uris.add(new String[] {m.group(1), m.group(2)});
        }
        assertEquals(3, uris.size());
        assertEquals("image/svg+xml", uris.get(0)[0]);
        Rendered.svg(Base64.getDecoder().decode(uris.get(0)[1]), "Loss", "first-order");
        assertEquals("image/png", uris.get(1)[0]);
        Rendered.png(Base64.getDecoder().decode(uris.get(1)[1]), Charts.WIDTH, Charts.HEIGHT);
        assertEquals("image/png", uris.get(2)[0]);
        Rendered.png(Base64.getDecoder().decode(uris.get(2)[1]), 4 + 2 * (20 + 4), 4 + 2 * (20 + 14 + 4));

        String outsideData = DATA_URI.matcher(html).replaceAll("");
        for (String external : List.of("http:", "https:", "<link", "<script", "url(", "src=")) {
            assertFalse(outsideData.contains(external), "external reference '" + external + "'");
        }
    }

    @Test
    void writeIsAtomicAndUtf8() throws Exception {
        Path file = dir.resolve("out").resolve("report.html");
        HtmlReport r = sample().paragraph("naïve — ok");
        r.write(file);
        String written = Files.readString(file, StandardCharsets.UTF_8);
        assertEquals(r.render(), written);
        assertTrue(written.contains("naïve — ok"));
        assertEquals(List.of(file), listing(file.getParent()), "no temporary file is left behind");
    }

    /** An image whose pixels cannot be read: encoding it fails halfway through writing the page. */
    private static BufferedImage unreadable() {
        return new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB) {
            @Override
            public Raster getData(Rectangle rect) {
                throw new IllegalStateException("pixels unavailable");
            }

            @Override
            public Raster getData() {
                throw new IllegalStateException("pixels unavailable");
            }

            @Override
            public java.awt.image.WritableRaster getRaster() {
                throw new IllegalStateException("pixels unavailable");
            }

            @Override
            public Raster getTile(int x, int y) {
                throw new IllegalStateException("pixels unavailable");
            }
        };
    }

    @Test
    void failingWriteLeavesNoFile() throws Exception {
        Path file = dir.resolve("report.html");
        HtmlReport broken = sample().image("broken", unreadable());
        assertThrows(RuntimeException.class, () -> broken.write(file));
        assertEquals(List.of(), listing(dir), "neither the page nor a temporary file");

        Files.writeString(file, "previous");
        assertThrows(RuntimeException.class, () -> broken.write(file));
        assertEquals("previous", Files.readString(file), "an existing page is left as it was");
        assertEquals(List.of(file), listing(dir));
    }

    @Test
    void writeOntoAFolderFailsWithoutLeftovers() throws Exception {
        Path folder = dir.resolve("taken");
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("inside.txt"), "x");
        assertThrows(IOException.class, () -> sample().write(folder));
        assertEquals(List.of(folder), listing(dir));
        assertEquals(List.of(folder.resolve("inside.txt")), listing(folder));
    }

    @Test
    void raggedTablesAreRejected() {
        HtmlReport r = new HtmlReport("t");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> r.table(List.of(List.of("a", "b"), List.of("1"))));
        assertTrue(e.getMessage().contains("row 1 has 1 cells, the header has 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> r.table(List.of()));
    }

    @Test
    void markdownKeepsAsterisksInsideCodeAndUnpairedBackticks() {
        assertEquals("<p><code>a*b*c</code> and *x</p>\n", HtmlReport.markdown("`a*b*c` and *x"));
        assertEquals("<p>one ` tick &amp; <strong>b</strong></p>\n", HtmlReport.markdown("one ` tick & **b**"));
    }

    private static List<Path> listing(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.sorted().toList();
        }
    }
}
