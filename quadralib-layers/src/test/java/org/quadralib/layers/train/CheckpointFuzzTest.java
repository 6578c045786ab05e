package org.quadralib.layers.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.quadralib.core.testing.Fuzzer;

/**
 * A short fuzz run of the checkpoint loader in a child JVM with a 256 MiB heap ({@link CheckpointFuzzMain}). The
 * input count per file is the system property {@code quadralib.fuzz.inputs} (300 by default), the seed
 * {@code quadralib.fuzz.seed}.
 */
class CheckpointFuzzTest {

    @Test
    void everyMutatedCheckpointLoadsOrIsRefusedWithoutChangingAnything() throws Exception {
        String inputs = System.getProperty("quadralib.fuzz.inputs", "300");
        String seed = System.getProperty("quadralib.fuzz.seed", "1");
        Fuzzer.Child child = Fuzzer.fork(CheckpointFuzzMain.class, "inputs=" + inputs, "seed=" + seed);
        System.out.println(child.output());
        assertEquals(0, child.exitCode(), child.output());
        for (String file : new String[] {Checkpoint.STATE_FILE, Checkpoint.MODEL_FILE, Checkpoint.OPTIMIZER_FILE}) {
            assertTrue(child.output().contains("FUZZ checkpoint-" + file + ": " + inputs + " inputs"), child.output());
        }
    }
}
