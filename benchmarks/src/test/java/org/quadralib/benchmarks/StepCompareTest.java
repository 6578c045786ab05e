package org.quadralib.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.IntFunction;

import org.junit.jupiter.api.Test;

/** The step comparison's command line, and the current build's W1 inference compared with itself. */
class StepCompareTest {

    @Test
    void optionsAreParsedAndChecked() {
        StepCompare.Options o = StepCompare.Options.parse(new String[] {"--builds", "a.jar,b.jar", "--workload", "W3",
            "--variant", "quadratic-hybrid", "--mode", "infer", "--threads", "1", "--steps-per-slice", "5"});
        assertEquals(List.of("a.jar", "b.jar"), o.builds());
        assertEquals("W3", o.workload());
        assertEquals("quadratic-hybrid", o.variant());
        assertTrue(!o.train());
        assertEquals(1, o.threads());
        assertEquals(5, o.stepsPerSlice());
        String[][] bad = {
            {"--builds", "a.jar", "--workload", "W1"},
            {"--builds", "a,b"},
            {"--builds", "a,b", "--workload", "W4"},
            {"--builds", "a,b", "--workload", "W1", "--variant", "cubic"},
            {"--builds", "a,b", "--workload", "W1", "--mode", "eval"},
            {"--builds", "a,b", "--workload", "W1", "--steps-per-slice", "0"},
            {"--builds", "a,b", "--workload", "W1", "--fast", "1"},
            {"--builds", "a,b", "--workload"},
        };
        for (String[] args : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StepCompare.Options.parse(args));
            assertTrue(e.getMessage().contains("StepCompare") || e.getMessage().contains("--"), e.getMessage());
        }
    }

    @Test
    void aPathWithoutTheWorkloadsIsRejectedByName() throws Exception {
        StepCompare.Options o = StepCompare.Options.parse(new String[] {"--builds", "no-such-dir,x", "--workload", "W1"});
        try (StepCompare.Build b = new StepCompare.Build("no-such-dir")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.runner(o));
            assertTrue(e.getMessage().contains("no-such-dir"), e.getMessage());
        }
    }

    /**
     * Two copies of the current build, each in its own loader (its runner a class of that loader, not this test's),
     * give a positive slice time for every slice of both, and the report names the workload and the ratio.
     */
    @Test
    void theCurrentBuildComparesWithItself() throws Exception {
        String classPath = System.getProperty("java.class.path");
        StepCompare.Options o = StepCompare.Options.parse(new String[] {"--builds", classPath + "," + classPath,
            "--workload", "W1", "--mode", "infer", "--threads", "1", "--seconds", "0.2", "--warmup-seconds", "0",
            "--steps-per-slice", "1"});
        try (StepCompare.Build a = new StepCompare.Build(classPath); StepCompare.Build b = new StepCompare.Build(classPath)) {
            IntFunction<long[]> ra = a.runner(o);
            IntFunction<long[]> rb = b.runner(o);
            assertNotSame(ra.getClass(), rb.getClass());
            assertNotSame(StepRunner.class, ra.getClass());
            double[][] ms = StepCompare.measure(o, List.of(ra, rb));
            assertEquals(ms[0].length, ms[1].length);
            assertTrue(ms[0].length >= 2);
            for (double[] build : ms) {
                for (double t : build) {
                    assertTrue(t > 0 && Double.isFinite(t), "slice time " + t);
                }
            }
            String report = StepCompare.report(o, List.of(a, b), ms);
            assertTrue(report.startsWith("JDK " + System.getProperty("java.version") + " (VM "), report);
            assertTrue(report.contains("\nW1 first-order inference batch"), report);
            assertTrue(report.contains("build 1 / build 0 per slice: median"), report);
        }
    }
}
