package org.quadralib.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.core.io.Idx;
import org.quadralib.core.io.MalformedFileException;

/** Every format by name through {@link DataSources#open}, and the per-channel statistics for normalisation. */
class DataSourcesTest {

    @TempDir
    Path dir;

    @Test
    void cifar10And100OpenByName() throws IOException {
        CifarTest.writeCifar10(dir.resolve("cifar-10-batches-bin"));
        DataSources.Splits s = DataSources.open("CIFAR10", dir);
        assertEquals(10, s.train().size());
        assertEquals(1, s.test().size());
        assertEquals("airplane", s.classNames().get(0));
        CifarTest.writeRecords(dir.resolve("train.bin"), new int[][] {{1, 2}});
        CifarTest.writeRecords(dir.resolve("test.bin"), new int[][] {{1, 3}});
        DataSources.Splits c = DataSources.open("cifar100", dir);
        assertEquals(100, c.classNames().size());
        assertEquals(3, c.test().label(0));
    }

    @Test
    void idxOpensFashionMnistFiles() throws IOException {
        for (String prefix : new String[] {"train", "t10k"}) {
            Idx.write(dir.resolve(prefix + "-images-idx3-ubyte"),
                    new Idx.Data(Idx.DataType.UNSIGNED_BYTE, new int[] {2, 2, 2}, new byte[8]), false);
            Idx.write(dir.resolve(prefix + "-labels-idx1-ubyte.gz"),
                    new Idx.Data(Idx.DataType.UNSIGNED_BYTE, new int[] {2}, new byte[] {3, 9}), true);
        }
        DataSources.Splits s = DataSources.open("idx", dir);
        assertArrayEquals(new int[] {1, 2, 2}, s.train().sampleShape());
        assertEquals(9, s.test().label(1));
    }

    @Test
    void folderOpensTrainAndValSplitsAndChecksTheirClasses() throws IOException {
        for (String split : new String[] {"train", "val"}) {
            for (String c : new String[] {"cat", "dog"}) {
                write(dir.resolve(split).resolve(c).resolve("1.png"));
            }
        }
        DataSources.Splits s = DataSources.open("folder", dir,
                new ImageFolder.Options(4, 4, ImageFolder.Color.GREY, ImageFolder.Fit.CENTER_CROP));
        assertEquals(List.of("cat", "dog"), s.classNames());
        assertArrayEquals(new int[] {1, 4, 4}, s.test().sampleShape());
        write(dir.resolve("val/emu/1.png"));
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> DataSources.open("folder", dir));
        assertEquals(dir.resolve("val"), e.file());
        DatasetNotFoundException missing = assertThrows(DatasetNotFoundException.class,
                () -> DataSources.open("folder", dir.resolve("val")));
        assertTrue(missing.getMessage().contains("train/"), missing.getMessage());
    }

    @Test
    void anUnknownFormatListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataSources.open("png", dir));
        assertTrue(e.getMessage().contains("idx, cifar10, cifar100, folder"), e.getMessage());
        assertThrows(DatasetNotFoundException.class, () -> DataSources.open("cifar10", dir));
    }

    @Test
    void channelStatsAreThePerChannelMeanAndStandardDeviation() {
        // Channel 0 holds 0, 2, 4, 6 (mean 3, variance 5); channel 1 holds 1 everywhere.
        float[] x = {0, 2, 1, 1, 4, 6, 1, 1};
        DataSources.ChannelStats s = DataSources.channelStats(new ArrayDataset(x, new int[] {0, 1}, new int[] {2, 2}));
        assertArrayEquals(new float[] {3, 1}, s.mean(), 1e-6f);
        assertArrayEquals(new float[] {(float) Math.sqrt(5), 1e-6f}, s.std(), 1e-6f);
    }

    private static void write(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(new BufferedImage(6, 8, BufferedImage.TYPE_INT_RGB), "png", file.toFile()));
    }
}
