package org.quadralib.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The {@code spark-train} command line (the training itself is tested in quadralib-spark). */
class SparkTrainTest {

    @Test
    void defaultsAreLocalModeOnTwoWorkers() throws UsageException {
        SparkTrain.Options o = SparkTrain.Options.parse(List.of());
        assertEquals("local[2]", o.master());
        assertEquals(2, o.workers());
        assertEquals("lenet5", o.model());
        assertEquals(64, o.batch());
        assertEquals("ERROR", o.sparkLog());
    }

    @Test
    void optionsAreRead() throws UsageException {
        SparkTrain.Options o = SparkTrain.Options.parse(List.of("--workers", "3", "--quadratic", "--batch", "96",
                "--model", "mlp", "--spark-log", "warn", "--max-steps", "5"));
        assertEquals(3, o.workers());
        assertTrue(o.quadratic());
        assertEquals(96, o.batch());
        assertEquals("mlp", o.model());
        assertEquals("WARN", o.sparkLog());
        assertEquals(5, o.maxSteps());
    }

    @Test
    void badOptionsAreUsageErrors() {
        UsageException model = assertThrows(UsageException.class,
                () -> SparkTrain.Options.parse(List.of("--model", "vgg99")));
        assertTrue(model.getMessage().contains("vgg99"), model.getMessage());
        UsageException batch = assertThrows(UsageException.class,
                () -> SparkTrain.Options.parse(List.of("--workers", "8", "--batch", "4")));
        assertTrue(batch.getMessage().contains("--batch 4"), batch.getMessage());
        assertThrows(UsageException.class, () -> SparkTrain.Options.parse(List.of("--workers", "0")));
        assertThrows(UsageException.class, () -> SparkTrain.Options.parse(List.of("--spark-log", "loud")));
    }

    @Test
    void theCommandIsListedAndDescribed() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"spark-train", "--help"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(Main.EXIT_OK, code);
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--workers"));
        assertTrue(Main.commands().containsKey("spark-train"));
    }
}
