package org.quadralib.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.core.io.Idx;
import org.quadralib.core.io.MalformedFileException;

class FashionMnistTest {

    @TempDir
    Path dir;

    @Test
    void aMissingFolderSaysWhatWasLookedForWhereAndHowToGetIt() {
        Path folder = dir.resolve("nowhere");
        DatasetNotFoundException e = assertThrows(DatasetNotFoundException.class, () -> FashionMnist.train(folder));
        String message = e.getMessage();
        assertTrue(message.contains(folder.toAbsolutePath().toString()), message);
        assertTrue(message.contains("does not exist"), message);
        assertTrue(message.contains("train-images-idx3-ubyte"), message);
        assertTrue(message.contains("train-labels-idx1-ubyte"), message);
        assertTrue(message.contains("apt-get install dataset-fashion-mnist"), message);
        assertEquals(2, e.missing().size());
    }

    @Test
    void aMissingFileIsNamed() throws IOException {
        writeSplit(dir, "t10k", 3, false);
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte"));
        DatasetNotFoundException e = assertThrows(DatasetNotFoundException.class, () -> FashionMnist.test(dir));
        assertEquals(List.of("t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz"), e.missing());
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
    }

    @Test
    void loadsImagesScaledToUnitRangeWithTheirLabels() throws IOException {
        writeSplit(dir, "train", 5, true);
        Dataset d = FashionMnist.train(dir);
        assertEquals(5, d.size());
        assertArrayEquals(new int[] {1, 4, 3}, d.sampleShape());
        assertEquals(10, d.numClasses());
        float[] sample = new float[12];
        d.copySample(2, sample, 0);
        assertEquals(2 * 12 / 255f, sample[0], 1e-7f);
        assertEquals((2 * 12 + 11) / 255f, sample[11], 1e-7f);
        assertEquals(4, d.label(2));
        d.copySample(4, sample, 0);
        assertEquals(1f, sample[9], "pixel 255 becomes 1");
    }

    @Test
    void rejectsImagesAndLabelsThatDoNotMatch() throws IOException {
        writeSplit(dir, "train", 4, true);
        Idx.write(dir.resolve("train-labels-idx1-ubyte.gz"),
                new Idx.Data(Idx.DataType.UNSIGNED_BYTE, new int[] {3}, new byte[3]), true);
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> FashionMnist.train(dir));
        assertTrue(e.getMessage().contains("3 labels do not match the 4 images"), e.getMessage());
    }

    @Test
    void readsAClasspathSample() throws IOException {
        Path folder = dir.resolve("org/example/sample");
        writeSplit(folder, "t10k", 6, true);
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
            Thread.currentThread().setContextClassLoader(loader);
            Dataset d = FashionMnist.fromClasspath("/org/example/sample/", false);
            assertEquals(6, d.size());
            assertEquals(5 * 7 % 10, d.label(5));
            DatasetNotFoundException e = assertThrows(DatasetNotFoundException.class,
                    () -> FashionMnist.fromClasspath("org/example/sample", true));
            assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    /** Runs only where Debian's dataset-fashion-mnist package is installed. */
    @Test
    void readsTheInstalledTestSet() throws IOException {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_FOLDER), "dataset-fashion-mnist not installed");
        Dataset test = FashionMnist.test(FashionMnist.DEFAULT_FOLDER);
        assertEquals(10_000, test.size());
        assertArrayEquals(new int[] {1, 28, 28}, test.sampleShape());
        int[] counts = new int[10];
        for (int i = 0; i < test.size(); i++) {
            counts[test.label(i)]++;
        }
        for (int c : counts) {
            assertEquals(1000, c);
        }
        assertEquals(9, test.label(0), "the first test image is an ankle boot");
        assertEquals("Ankle boot", FashionMnist.CLASS_NAMES.get(9));
    }

    /** {@code n} 4×3 images whose pixel j of image i is {@code i*12 + j} (one pixel of image 4 is 255) and label {@code 7i mod 10}. */
    private static void writeSplit(Path folder, String prefix, int n, boolean gzip) throws IOException {
        byte[] pixels = new byte[n * 12];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) i;
        }
        if (n > 4) {
            pixels[4 * 12 + 9] = (byte) 255;
        }
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (byte) (7 * i % 10);
        }
        String suffix = gzip ? ".gz" : "";
        Idx.write(folder.resolve(prefix + "-images-idx3-ubyte" + suffix),
                new Idx.Data(Idx.DataType.UNSIGNED_BYTE, new int[] {n, 4, 3}, pixels), gzip);
        Idx.write(folder.resolve(prefix + "-labels-idx1-ubyte" + suffix),
                new Idx.Data(Idx.DataType.UNSIGNED_BYTE, new int[] {n}, labels), gzip);
    }
}
