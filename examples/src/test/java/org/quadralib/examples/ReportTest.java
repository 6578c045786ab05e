package org.quadralib.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.viz.BrowserCheck;

/** The {@code report.html} of a tiny {@code explore} run: every section of the report there, and the page checked in Chromium. */
class ReportTest {

    @TempDir
    static Path dir;
    private static Path report;
    private static String html;

    private static final Pattern IMAGE = Pattern.compile("<img alt=\"([^\"]*)\" src=\"data:(image/[a-z+]+);base64,([A-Za-z0-9+/=]+)\">");

    @BeforeAll
    static void explore() throws IOException {
        Path out = dir.resolve("run");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"explore", "--sample", "--train-size", "96", "--test-size", "64", "--epochs", "2",
            "--batch-size", "32", "--threads", "2", "--out", out.toString()}, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(Main.EXIT_OK, code, err.toString(StandardCharsets.UTF_8));
        report = out.resolve("report.html");
        html = Files.readString(report, StandardCharsets.UTF_8);
    }

    @Test
    void everySectionOfTheReportIsThere() {
        for (String s : List.of("<table", "Pareto front: lenet5: test accuracy against parameters",
                "Training loss per step", "lenet5: test accuracy", "lenet5: training loss",
                "Memory of a training step, predicted beside measured",
                "lenet5 memory per layer: first-order, predicted", "lenet5 memory per layer: first-order, measured",
                "lenet5 memory per layer: PROPOSED hybrid, predicted", "lenet5 memory per layer: PROPOSED hybrid, measured",
                "lenet5 memory per layer: PROPOSED standard, predicted", "lenet5 memory per layer: PROPOSED standard, measured",
                "lenet5: live memory over one step",
                "Weights and gradients per layer, first-order and PROPOSED overlaid",
                "features.0 weights, end of epoch 1", "features.0 gradients, end of epoch 1",
                "features.0 weights, end of epoch 2", "features.0 gradients, end of epoch 2",
                "Activation maps of one test image per class",
                "Channel-mean map of each convolution&#39;s output, first-order beside PROPOSED, on one colour scale")) {
            assertTrue(html.contains(s) || html.contains(s.replace("&#39;", "'")), s + " missing from report.html");
        }
        // The comparison table comes first, the Pareto charts straight after it.
        assertTrue(html.indexOf("<table") < html.indexOf("Pareto front"), "table before the Pareto charts");
    }

    @Test
    void everyEmbeddedImageDecodesAndTheTimelineMarksThePhases() throws Exception {
        Matcher m = IMAGE.matcher(html);
        int images = 0;
        List<String> svgTexts = new ArrayList<>();
        while (m.find()) {
            images++;
            byte[] bytes = Base64.getDecoder().decode(m.group(3));
            if (m.group(2).equals("image/png")) {
                BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
                assertTrue(img != null && img.getWidth() > 0 && img.getHeight() > 0, "PNG of " + m.group(1));
            } else {
                DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
                f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
                f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
                String text = f.newDocumentBuilder().parse(new ByteArrayInputStream(bytes)).getDocumentElement().getTextContent();
                svgTexts.add(m.group(1) + "|" + text);
            }
        }
        // 4 Pareto, 2 epoch curves, 1 step curve, 6 memory, 1 timeline, 5 layers x 2 kinds x 2 epochs, 1 activation panel.
        assertTrue(images >= 4 + 2 + 1 + 6 + 1 + 20 + 1, images + " images");
        String timeline = svgTexts.stream().filter(s -> s.startsWith("lenet5: live memory over one step")).findFirst().orElseThrow();
        for (String legend : List.of("first-order, predicted", "first-order, measured", "PROPOSED standard, measured")) {
            assertTrue(timeline.contains(legend), legend + " missing from the timeline: " + timeline);
        }
    }

    @Test
    void theReportLoadsInChromiumWithEveryImageAndNoError() throws Exception {
        Optional<Path> chromium = BrowserCheck.chromium();
        assumeTrue(chromium.isPresent(), "chromium not installed at " + BrowserCheck.DEFAULT_CHROMIUM
                + " (or -Dquadralib.chromium): the browser check of report.html is skipped");
        // Kept as build artefacts: the screenshot (the top of the page) and the page itself.
        Path shot = Path.of("target", "report-screenshot.png");
        Files.copy(report, Path.of("target", "report.html"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        BrowserCheck.Result r = BrowserCheck.check(chromium.get(), report, shot, Duration.ofSeconds(60));
        assertTrue(r.ok(), r.toString());
        assertFalse(r.imageSizes().isEmpty());
        assertEquals(countImages(), r.imageSizes().size(), r.imageSizes().toString());
        assertTrue(Files.size(shot) > 10_000, "screenshot " + shot + " of " + Files.size(shot) + " bytes");
    }

    private static int countImages() {
        return (int) IMAGE.matcher(html).results().count();
    }
}
