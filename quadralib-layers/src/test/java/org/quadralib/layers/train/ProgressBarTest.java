package org.quadralib.layers.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;

import org.junit.jupiter.api.Test;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;

class ProgressBarTest {

    /** A clock that moves {@code stepMillis} every time it is read. */
    private static LongSupplier clock(long stepMillis) {
        long[] now = {0};
        return () -> now[0] += stepMillis * 1_000_000L;
    }

    private static String draw(int width, long clockStepMillis, int samples, int batchSize, int epochs) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, width,
                clock(clockStepMillis));
        Init.manualSeed(1);
        DataLoader data = new DataLoader(SyntheticData.rings(samples, 1), batchSize, false, 0);
        new Trainer(Trainer.Config.sgd(0.01f, 0f), bar).fit(new Linear(2, 2), data, null, epochs);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void redrawsInPlaceWithStepsRateAndEta() {
        // 10 batches; the clock moves 250 ms between reads: every batch is due for a redraw.
        String out = draw(80, 250, 10, 1, 2);
        String[] lines = out.split("\n");
        assertEquals(2, lines.length, "each epoch ends its line");
        assertEquals(10, lines[0].chars().filter(c -> c == '\r').count(), "one redraw per batch");
        String last = lines[0].substring(lines[0].lastIndexOf('\r') + 1);
        // 10 batches in 10 reads of 250 ms after the epoch start: 4 batches per second, nothing left.
        assertTrue(last.matches("epoch 1/2 10/10 \\[=+\\] 4\\.0 it/s ETA 0:00 loss \\d+\\.\\d{4}"), last);
        String first = lines[1].substring(1, lines[1].indexOf('\r', 1));
        // 1 batch in 250 ms: 4/s, 9 left: 2.25 s.
        assertTrue(first.matches("epoch 2/2  1/10 \\[=*> *\\] 4\\.0 it/s ETA 0:02 loss \\d+\\.\\d{4}"), first);
        for (String l : out.split("[\r\n]")) {
            assertTrue(l.length() <= 79, "never wider than the terminal: " + l.length());
        }
    }

    @Test
    void redrawsOnlyWhenDueAndChanged() {
        // 250 batches, the clock moving 1 ms a read: a redraw at most every 100 ms, plus the first and the last.
        String out = draw(80, 1, 250, 1, 1);
        long redraws = out.chars().filter(c -> c == '\r').count();
        assertEquals(4, redraws, out.replace('\r', '|'));
        String[] draws = out.split("\r");
        for (int i = 2; i < draws.length; i++) {
            assertFalse(draws[i].equals(draws[i - 1]), "a redraw changes the text");
        }
    }

    @Test
    void fitsNarrowTerminals() {
        String out = draw(50, 250, 10, 1, 1);
        for (String l : out.split("[\r\n]")) {
            assertTrue(l.length() <= 49, "fitted to 50 columns: '" + l + "'");
        }
        assertEquals(1, out.split("\n").length, "redraws stay on one line");
        assertEquals("epoch 1/3  5/10 [=====>    ] ETA 0:01 loss 0.5000",
                ProgressBar.line(1, 3, 5, 10, 4.0, 0.5f, 50));
        assertEquals("epoch 1/3  5/10 loss 0.5000", ProgressBar.line(1, 3, 5, 10, 4.0, 0.5f, 30));
        assertEquals("epoch 1/3  5", ProgressBar.line(1, 3, 5, 10, 4.0, 0.5f, 13));
    }

    @Test
    void theBarFillsInProportionAndTheEtaReadsAsATime() {
        assertEquals("epoch 2/3  50/100 [" + "=".repeat(14) + ">" + " ".repeat(14) + "] 2.0 it/s ETA 0:25 loss 0.1235",
                ProgressBar.line(2, 3, 50, 100, 2.0, 0.12345f, 80));
        assertEquals("epoch 3/3 100/100 [" + "=".repeat(30) + "] ETA --:-- loss NaN",
                ProgressBar.line(3, 3, 100, 100, Double.NaN, Float.NaN, 80));
        assertEquals("1:01:05", ProgressBar.duration(3665));
        assertEquals("0:59", ProgressBar.duration(59.4));
    }

    @Test
    void theWidthComesFromColumns() {
        assertEquals(120, ProgressBar.terminalWidth("120"));
        assertEquals(ProgressBar.DEFAULT_WIDTH, ProgressBar.terminalWidth(null));
        assertEquals(ProgressBar.DEFAULT_WIDTH, ProgressBar.terminalWidth("wide"));
        assertEquals(ProgressBar.DEFAULT_WIDTH, ProgressBar.terminalWidth("0"));
        assertThrows(IllegalArgumentException.class, () -> new ProgressBar(System.err, true, 0, System::nanoTime));
    }

    @Test
    void drawsNothingWhenDisabledAndTheBuildTurnsItOff() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        DataLoader data = new DataLoader(SyntheticData.rings(20, 1), 4, false, 0);
        new Trainer(Trainer.Config.sgd(0.01f, 0f), bar).fit(new Linear(2, 2), data, null, 1);
        assertEquals(0, bytes.size());
        assertFalse(bar.enabled());
        // The surefire configuration sets quadralib.progress=false, so test output never holds bars.
        assertEquals("false", System.getProperty(ProgressBar.PROPERTY));
        assertFalse(ProgressBar.enabledByDefault());
    }
}
