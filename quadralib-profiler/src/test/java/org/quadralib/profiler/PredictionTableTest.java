package org.quadralib.profiler;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Generates the profiler README's prediction table (minutes: thirty fresh JVMs, the larger models at batch 64):
 * {@code mvn -B -pl quadralib-profiler -am verify -Dtest=PredictionTableTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dquadralib.predictionTable=$PWD/prediction-table.md}.
 */
class PredictionTableTest {

    @Test
    @EnabledIfSystemProperty(named = "quadralib.predictionTable", matches = ".+")
    void writesTheTable() throws Exception {
        Path out = Path.of(System.getProperty("quadralib.predictionTable"));
        PredictionTable.write(out, System.getProperty("java.class.path"));
        assertTrue(Files.readAllLines(out).size() > 30);
    }
}
