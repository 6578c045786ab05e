package org.quadralib.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.core.io.MalformedFileException;

/** The CIFAR binary reader on small files written here, in the authors' record layout. */
class CifarTest {

    @TempDir
    Path dir;

    /**
     * Writes {@code labels.length} records; record {@code r}'s pixel {@code (c, y, x)} holds
     * {@code (r + 7c + 3y + x) mod 256}, so any mixed-up plane, row or record shows.
     */
    static void writeRecords(Path file, int[][] labels) throws IOException {
        int header = labels.length == 0 ? 0 : labels[0].length;
        byte[] out = new byte[labels.length * (header + Cifar.IMAGE_BYTES)];
        int at = 0;
        for (int r = 0; r < labels.length; r++) {
            for (int b = 0; b < header; b++) {
                out[at++] = (byte) labels[r][b];
            }
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        out[at++] = (byte) pixel(r, c, y, x);
                    }
                }
            }
        }
        Files.createDirectories(file.getParent());
        Files.write(file, out);
    }

    static int pixel(int r, int c, int y, int x) {
        return (r + 7 * c + 3 * y + x) & 0xff;
    }

    /** CIFAR-10 files with two records per training batch and one test record, labels 0, 1, 2, ... */
    static void writeCifar10(Path folder) throws IOException {
        for (int b = 1; b <= 5; b++) {
            writeRecords(folder.resolve("data_batch_" + b + ".bin"), new int[][] {{2 * b - 2}, {(2 * b - 1) % 10}});
        }
        writeRecords(folder.resolve("test_batch.bin"), new int[][] {{9}});
    }

    @Test
    void cifar10RecordsBecomeChannelPlanesScaledToUnitRangeWithTheirLabels() throws IOException {
        writeCifar10(dir);
        Dataset train = Cifar.train(Cifar.Variant.CIFAR10, dir);
        assertEquals(10, train.size());
        assertEquals(10, train.numClasses());
        assertArrayEquals(new int[] {3, 32, 32}, train.sampleShape());
        int[] labels = new int[10];
        for (int i = 0; i < 10; i++) {
            labels[i] = train.label(i);
        }
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, labels, "batches in order 1..5");
        float[] s = new float[3072];
        train.copySample(3, s, 0); // second record of data_batch_2.bin: r = 1 within its file
        assertEquals(pixel(1, 0, 0, 0) / 255f, s[0], 1e-7f);
        assertEquals(pixel(1, 1, 0, 0) / 255f, s[1024], 1e-7f, "green plane");
        assertEquals(pixel(1, 2, 31, 30) / 255f, s[2 * 1024 + 31 * 32 + 30], 1e-7f, "blue plane, row 31, column 30");
        assertEquals(1, Cifar.test(Cifar.Variant.CIFAR10, dir).size());
    }

    @Test
    void cifar100IsFoundInTheArchivesFolderAndTakesTheFineOrTheCoarseLabel() throws IOException {
        Path folder = dir.resolve("cifar-100-binary");
        writeRecords(folder.resolve("train.bin"), new int[][] {{19, 99}, {0, 42}, {7, 0}});
        writeRecords(folder.resolve("test.bin"), new int[][] {{3, 5}});
        Dataset fine = Cifar.train(Cifar.Variant.CIFAR100, dir);
        assertEquals(100, fine.numClasses());
        assertEquals(List.of(99, 42, 0), List.of(fine.label(0), fine.label(1), fine.label(2)));
        Dataset coarse = Cifar.train(Cifar.Variant.CIFAR100_COARSE, dir);
        assertEquals(20, coarse.numClasses());
        assertEquals(List.of(19, 0, 7), List.of(coarse.label(0), coarse.label(1), coarse.label(2)));
        float[] s = new float[3072];
        fine.copySample(2, s, 0);
        assertEquals(pixel(2, 1, 5, 6) / 255f, s[1024 + 5 * 32 + 6], 1e-7f, "pixels after two label bytes");
    }

    @Test
    void classNamesComeFromTheArchivesNamesFileWhenItNamesEveryClass() throws IOException {
        assertEquals(Cifar.CIFAR10_CLASSES, Cifar.classNames(Cifar.Variant.CIFAR10, dir));
        assertEquals("99", Cifar.classNames(Cifar.Variant.CIFAR100, dir).get(99));
        Path folder = Files.createDirectories(dir.resolve("cifar-100-binary"));
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            names.append("super").append(i).append("\n");
        }
        Files.writeString(folder.resolve("coarse_label_names.txt"), names + "\n\n");
        assertEquals("super19", Cifar.classNames(Cifar.Variant.CIFAR100_COARSE, dir).get(19));
        Files.writeString(folder.resolve("coarse_label_names.txt"), "too\nfew\n");
        assertEquals("19", Cifar.classNames(Cifar.Variant.CIFAR100_COARSE, dir).get(19));
    }

    @Test
    void aMissingFileIsNamedWithBothFoldersLookedIn() throws IOException {
        writeCifar10(dir);
        Files.delete(dir.resolve("data_batch_4.bin"));
        DatasetNotFoundException e = assertThrows(DatasetNotFoundException.class,
                () -> Cifar.train(Cifar.Variant.CIFAR10, dir));
        assertEquals(List.of("data_batch_4.bin"), e.missing());
        assertTrue(e.getMessage().contains("cifar-10-batches-bin") && e.getMessage().contains(dir.toAbsolutePath().toString()),
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line");
    }

    @Test
    void aLengthThatIsNoMultipleOfTheRecordIsRefusedBeforeReading() throws IOException {
        Path file = dir.resolve("test.bin");
        writeRecords(file, new int[][] {{1, 2}, {3, 4}});
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 1));
        MalformedFileException e = assertThrows(MalformedFileException.class,
                () -> Cifar.fromFiles(Cifar.Variant.CIFAR100, List.of(file)));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains("6147") && e.getMessage().contains("3074"), e.getMessage());
        // A CIFAR-100 file read as CIFAR-10: 2 · 3074 bytes are no multiple of 3073.
        writeRecords(file, new int[][] {{1, 2}, {3, 4}});
        assertThrows(MalformedFileException.class, () -> Cifar.fromFiles(Cifar.Variant.CIFAR10, List.of(file)));
        Files.write(file, new byte[0]);
        assertThrows(MalformedFileException.class, () -> Cifar.fromFiles(Cifar.Variant.CIFAR10, List.of(file)));
    }

    @Test
    void aLabelOutOfRangeNamesTheFileAndTheRecord() throws IOException {
        Path file = dir.resolve("data_batch_1.bin");
        writeRecords(file, new int[][] {{3}, {10}});
        MalformedFileException e = assertThrows(MalformedFileException.class,
                () -> Cifar.fromFiles(Cifar.Variant.CIFAR10, List.of(file)));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains("record 1") && e.getMessage().contains("10"), e.getMessage());
        // The coarse label is checked too when the fine one is used.
        writeRecords(file, new int[][] {{20, 3}});
        assertThrows(MalformedFileException.class, () -> Cifar.fromFiles(Cifar.Variant.CIFAR100, List.of(file)));
    }
}
