package org.quadralib.layers.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;

class ProgressBarTest {

    @Test
    void redrawsInPlaceOnlyWhenThePercentageChanges() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
        Init.manualSeed(1);
        // 250 batches of one sample: 250 steps but only 100 distinct percentages.
        DataLoader data = new DataLoader(SyntheticData.rings(250, 1), 1, false, 0);
        new Trainer(Trainer.Config.sgd(0.01f, 0f), bar).fit(new Linear(2, 2), data, null, 2);

        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(2 * 101, out.chars().filter(c -> c == '\r').count(), "one redraw per shown percentage, 0 to 100");
        String[] lines = out.split("\n");
        assertEquals(2, lines.length, "each epoch ends its line");
        String lastRedraw = lines[0].substring(lines[0].lastIndexOf('\r') + 1);
        assertTrue(lastRedraw.startsWith("epoch 1/2 [" + "=".repeat(30) + "] 100% loss "), lastRedraw);
        assertTrue(lines[1].startsWith("\repoch 2/2 [>" + " ".repeat(29) + "]   0% loss "), lines[1]);
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

    @Test
    void theBarFillsInProportion() {
        assertEquals("epoch 1/3 [>" + " ".repeat(29) + "]   0% loss 2.5000", ProgressBar.line(1, 3, 0, 2.5f));
        assertEquals("epoch 2/3 [" + "=".repeat(15) + ">" + " ".repeat(14) + "]  50% loss 0.1235",
                ProgressBar.line(2, 3, 50, 0.12345f));
        assertEquals("epoch 3/3 [" + "=".repeat(30) + "] 100% loss NaN", ProgressBar.line(3, 3, 100, Float.NaN));
    }
}
