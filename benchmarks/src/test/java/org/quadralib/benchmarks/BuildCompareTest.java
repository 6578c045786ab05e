package org.quadralib.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URISyntaxException;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.quadralib.core.kernels.Gemm;
import org.slf4j.LoggerFactory;

/** The build comparison's command line, its paired ratios, and a run of the current build against itself. */
class BuildCompareTest {

    @Test
    void shapesAndOptionsAreParsedAndChecked() {
        assertEquals(new BuildCompare.Shape(256, 256, 256, false), BuildCompare.Shape.parse("256"));
        assertEquals(new BuildCompare.Shape(128, 768, 784, true), BuildCompare.Shape.parse("128x768x784t"));
        for (String bad : new String[] {"12x", "0", "8x8", "axbxc", "-4", "t"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BuildCompare.Shape.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        BuildCompare.Options o = BuildCompare.Options.parse(new String[] {"--builds", "a.jar,b.jar", "--threads", "1", "64", "8x16x32"});
        assertEquals(List.of("a.jar", "b.jar"), o.builds());
        assertEquals(1, o.threads());
        assertEquals(List.of(BuildCompare.Shape.parse("64"), BuildCompare.Shape.parse("8x16x32")), o.shapes());
        assertThrows(IllegalArgumentException.class, () -> BuildCompare.Options.parse(new String[] {"64"}));
        assertThrows(IllegalArgumentException.class, () -> BuildCompare.Options.parse(new String[] {"--builds", "a.jar"}));
        assertThrows(IllegalArgumentException.class, () -> BuildCompare.Options.parse(new String[] {"--builds", "a", "--slices", "3", "64"}));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> BuildCompare.Options.parse(new String[] {"--builds", "a", "--fast", "1", "64"}));
        assertTrue(unknown.getMessage().contains("--fast"), unknown.getMessage());
    }

    @Test
    void ratiosArePairedSliceBySlice() {
        assertArrayEquals(new double[] {2, 0.5, 1}, BuildCompare.pairedRatios(new double[] {4, 1, 3}, new double[] {2, 2, 3}));
        assertThrows(IllegalArgumentException.class, () -> BuildCompare.pairedRatios(new double[2], new double[3]));
    }

    @Test
    void aPathWithoutTheLibraryIsRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BuildCompare.Build("no-such-dir"));
        assertTrue(e.getMessage().contains("no-such-dir"), e.getMessage());
    }

    /**
     * The current build, loaded twice in class loaders of its own (each with its own {@code Gemm}, not this test's),
     * reports a positive, finite rate for every slice, and the report names the shape and the ratio.
     */
    @Test
    void theCurrentBuildComparesWithItself() throws URISyntaxException {
        String classPath = location(Gemm.class) + File.pathSeparator + location(LoggerFactory.class);
        BuildCompare.Options o = BuildCompare.Options.parse(new String[] {"--builds", classPath + "," + classPath, "--threads", "1",
            "--slices", "4", "--warmup-slices", "0", "--slice-ms", "1", "16x24x8t"});
        try (BuildCompare.Build a = new BuildCompare.Build(classPath); BuildCompare.Build b = new BuildCompare.Build(classPath)) {
            assertTrue(a.gemmClass() != Gemm.class && a.gemmClass() != b.gemmClass(), "each build loads its own Gemm");
            double[][][] rates = BuildCompare.measure(o, List.of(a, b));
            for (double[] perBuild : rates[0]) {
                for (double r : perBuild) {
                    assertTrue(r > 0 && Double.isFinite(r), "rate " + r);
                }
            }
            String report = BuildCompare.report(o, List.of(a, b), rates);
            assertTrue(report.contains("16x24x8 (A·Bᵀ)") && report.contains("ratio"), report);
            assertTrue(report.startsWith(StepBenchmark.jdk() + "\n"), report);
        }
    }

    private static String location(Class<?> c) throws URISyntaxException {
        return new File(c.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
    }
}
