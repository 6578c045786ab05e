package org.quadralib.layers.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.core.Tensor;
import org.quadralib.core.io.SafeTensors;

/**
 * Kills a training child JVM ({@link KillResumeMain}) with SIGKILL at points drawn from a seed, restarts it until
 * it finishes, and requires the final weights to equal an uninterrupted run's bit for bit, with no temporary
 * folder left. A kill lands wherever the child happens to be when the signal arrives (often inside a checkpoint
 * write, since half the kill points are checkpoint steps); correctness never depends on when.
 */
class KillResumeTest {

    private static final int KILLS_PER_SEED = 2;

    @TempDir
    Path dir;

    /** One child run; kills it once it has announced step {@code killAfter} (0: never). True if it finished. */
    private static boolean run(Path folder, int killAfter, List<String> log) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The same kernels as this JVM (the Vector API module or not), so the runs compare bit for bit.
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-modules") || a.startsWith("-Dquadralib.")) {
                command.add(a);
            }
        }
        command.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"),
                KillResumeMain.class.getName(), folder.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        boolean done = false;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("RESUME") || line.equals("DONE")) {
                    log.add(line);
                }
                done |= line.equals("DONE");
                if (killAfter > 0 && line.equals("STEP " + killAfter)) {
                    p.destroyForcibly();
                    log.add("KILL after step " + killAfter);
                    break;
                }
            }
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child did not end");
        if (killAfter == 0 || done) {
            assertEquals(0, p.exitValue(), "child failed: " + log);
        }
        return done;
    }

    private static Map<String, Tensor> finalWeights(Path folder) throws IOException {
        return SafeTensors.read(folder.resolve("final.safetensors"));
    }

    @Test
    void killedAndResumedRunsEndBitIdenticalToAnUninterruptedOne() throws Exception {
        Path straight = dir.resolve("straight");
        assertTrue(run(straight, 0, new ArrayList<>()));
        Map<String, Tensor> expected = finalWeights(straight);

        for (long seed = 1; seed <= 3; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            Path folder = dir.resolve("killed-" + seed);
            List<String> log = new ArrayList<>();
            // Ascending kill points, each at least 4 steps before the end so the last run saves a checkpoint.
            int last = 0;
            boolean finished = false;
            for (int k = 0; k < KILLS_PER_SEED; k++) {
                int limit = KillResumeMain.STEPS - 4;
                if (last + 1 > limit) {
                    break;
                }
                int at = last + 1 + random.nextInt(limit - last);
                if (random.nextBoolean()) {
                    at = Math.min(limit, (at + KillResumeMain.EVERY - 1) / KillResumeMain.EVERY * KillResumeMain.EVERY);
                }
                // A run resumes from its latest checkpoint, so it may pass the point it was killed at again.
                finished = run(folder, at, log);
                last = at;
            }
            while (!finished) {
                finished = run(folder, 0, log);
            }
            Map<String, Tensor> actual = finalWeights(folder);
            assertEquals(expected.keySet(), actual.keySet());
            for (Map.Entry<String, Tensor> e : expected.entrySet()) {
                assertArrayEquals(e.getValue().toFloatArray(), actual.get(e.getKey()).toFloatArray(),
                        "seed " + seed + " " + log + ": " + e.getKey());
            }
            try (Stream<Path> children = Files.list(folder)) {
                List<String> hidden = children.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("."))
                        .toList();
                assertEquals(List.of(), hidden, "seed " + seed + " " + log + ": temporary folders left");
            }
            System.out.println("seed " + seed + ": " + log);
        }
    }
}
