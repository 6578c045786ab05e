package org.quadralib.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.quadralib.core.testing.Fuzzer;

/**
 * A short fuzz run of the safetensors and IDX readers in a child JVM with a 256 MiB heap: every input must end
 * in a valid result or a {@link MalformedFileException} naming the file, each within a second; first, a header
 * at the 100 MiB limit must read in that heap. The input count
 * is the system property {@code quadralib.fuzz.inputs} (per target; 600 by default), the generator seed
 * {@code quadralib.fuzz.seed}.
 */
class ReaderFuzzTest {

    @Test
    void everyMutatedFileIsReadOrRefusedAsDocumented() throws Exception {
        String inputs = System.getProperty("quadralib.fuzz.inputs", "600");
        String seed = System.getProperty("quadralib.fuzz.seed", "1");
        Fuzzer.Child child = Fuzzer.fork(ReaderFuzzMain.class, "inputs=" + inputs, "seed=" + seed);
        System.out.println(child.output());
        assertEquals(0, child.exitCode(), child.output());
        assertTrue(child.output().contains("LARGE 104857600-byte header: 65536 tensors, 5 metadata values"),
                child.output());
        for (String target : new String[] {"safetensors", "idx", "idx-gzip", "idx-gzip-of-mutated"}) {
            assertTrue(child.output().contains("FUZZ " + target + ": " + inputs + " inputs"), child.output());
        }
    }
}
