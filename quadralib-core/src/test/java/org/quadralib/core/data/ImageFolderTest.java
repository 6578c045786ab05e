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
import org.quadralib.core.io.MalformedFileException;

/** The image-folder reader on small PNG and JPEG files written here. */
class ImageFolderTest {

    @TempDir
    Path dir;

    /** An image whose pixel (y, x) is {@code rgb(y, x)}. */
    private static void writeImage(Path file, String format, int h, int w, java.util.function.IntBinaryOperator rgb)
            throws IOException {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.setRGB(x, y, rgb.applyAsInt(y, x));
            }
        }
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(image, format, file.toFile()), "ImageIO writes " + format);
    }

    private static int rgb(int r, int g, int b) {
        return r << 16 | g << 8 | b;
    }

    private static float[] sample(Dataset d, int i) {
        float[] s = new float[d.sampleSize()];
        d.copySample(i, s, 0);
        return s;
    }

    @Test
    void classesAreSortedFolderNamesAndImagesSortedFileNames() throws IOException {
        writeImage(dir.resolve("zebra/b.png"), "png", 2, 2, (y, x) -> rgb(30, 0, 0));
        writeImage(dir.resolve("zebra/a.png"), "png", 2, 2, (y, x) -> rgb(20, 0, 0));
        writeImage(dir.resolve("ant/only.PNG"), "png", 2, 2, (y, x) -> rgb(10, 0, 0));
        Files.writeString(dir.resolve("ant/notes.txt"), "not an image");
        Files.createDirectories(dir.resolve(".cache"));
        Dataset d = ImageFolder.read(dir, new ImageFolder.Options(2, 2, ImageFolder.Color.RGB, ImageFolder.Fit.RESIZE));
        assertEquals(List.of("ant", "zebra"), ImageFolder.classNames(dir));
        assertEquals(3, d.size());
        assertEquals(2, d.numClasses());
        assertEquals(List.of(0, 1, 1), List.of(d.label(0), d.label(1), d.label(2)));
        assertEquals(List.of(10, 20, 30), List.of(bytes(sample(d, 0), 0, 1)[0], bytes(sample(d, 1), 0, 1)[0],
                bytes(sample(d, 2), 0, 1)[0]), "images in file-name order within a class");
    }

    @Test
    void rgbPlanesAndGreyLumaAtTheSourceSize() throws IOException {
        writeImage(dir.resolve("c/x.png"), "png", 2, 3, (y, x) -> rgb(10 * y + x, 100, 200 + x));
        float[] s = sample(ImageFolder.read(dir, new ImageFolder.Options(2, 3, ImageFolder.Color.RGB, ImageFolder.Fit.RESIZE)), 0);
        assertArrayEquals(new int[] {0, 1, 2, 10, 11, 12}, bytes(s, 0, 6), "red plane, row-major");
        assertArrayEquals(new int[] {100, 100, 100, 100, 100, 100}, bytes(s, 6, 12), "green plane");
        assertArrayEquals(new int[] {200, 201, 202, 200, 201, 202}, bytes(s, 12, 18), "blue plane");
        Dataset grey = ImageFolder.read(dir, new ImageFolder.Options(2, 3, ImageFolder.Color.GREY, ImageFolder.Fit.RESIZE));
        assertArrayEquals(new int[] {1, 2, 3}, grey.sampleShape());
        // 0.299·11 + 0.587·100 + 0.114·201 = 84.903
        assertEquals(85, bytes(sample(grey, 0), 4, 5)[0]);
    }

    @Test
    void halvingTheSizeAveragesEachTwoByTwoBlock() throws IOException {
        // Bilinear with aligned centres samples the middle of each 2x2 block: the mean of its four pixels.
        writeImage(dir.resolve("c/x.png"), "png", 4, 4, (y, x) -> rgb(16 * y + 4 * x, 0, 0));
        float[] s = sample(ImageFolder.read(dir, new ImageFolder.Options(2, 2, ImageFolder.Color.GREY, ImageFolder.Fit.RESIZE)), 0);
        // block (0, 0): 0, 4, 16, 20 -> 10; grey of (r, 0, 0) is round(0.299 r)
        assertArrayEquals(new int[] {3, 5, 13, 15}, bytes(s, 0, 4));
        float[] red = sample(ImageFolder.read(dir, new ImageFolder.Options(2, 2, ImageFolder.Color.RGB, ImageFolder.Fit.RESIZE)), 0);
        assertArrayEquals(new int[] {10, 18, 42, 50}, bytes(red, 0, 4));
    }

    @Test
    void centreCropKeepsTheAspectRatioAndCutsTheMiddle() throws IOException {
        // 2 rows, 6 columns into 2x2: the scale is 1 (the height fits), columns 2 and 3 are kept.
        writeImage(dir.resolve("c/x.png"), "png", 2, 6, (y, x) -> rgb(40 * x, 0, 0));
        float[] s = sample(ImageFolder.read(dir, new ImageFolder.Options(2, 2, ImageFolder.Color.RGB, ImageFolder.Fit.CENTER_CROP)), 0);
        assertArrayEquals(new int[] {80, 120, 80, 120}, bytes(s, 0, 4));
        float[] stretched = sample(ImageFolder.read(dir, new ImageFolder.Options(2, 2, ImageFolder.Color.RGB, ImageFolder.Fit.RESIZE)), 0);
        assertArrayEquals(new int[] {40, 160, 40, 160}, bytes(stretched, 0, 4), "resize: columns 1 and 4 (centres 1.0, 4.0)");
    }

    @Test
    void jpegImagesAreRead() throws IOException {
        writeImage(dir.resolve("c/x.jpeg"), "jpg", 8, 8, (y, x) -> rgb(128, 128, 128));
        float[] s = sample(ImageFolder.read(dir, ImageFolder.Options.defaults()), 0);
        assertEquals(3 * 32 * 32, s.length);
        assertEquals(128 / 255f, s[500], 3 / 255f, "a flat grey survives JPEG to within its rounding");
    }

    @Test
    void anUnreadableImageIsNamed() throws IOException {
        writeImage(dir.resolve("c/good.png"), "png", 2, 2, (y, x) -> 0);
        Path bad = dir.resolve("c/bad.png");
        byte[] png = Files.readAllBytes(dir.resolve("c/good.png"));
        Files.write(bad, java.util.Arrays.copyOf(png, png.length / 2)); // a truncated download
        MalformedFileException e = assertThrows(MalformedFileException.class,
                () -> ImageFolder.read(dir, ImageFolder.Options.defaults()));
        assertEquals(bad, e.file());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        Files.writeString(bad, "plain text");
        assertEquals(bad, assertThrows(MalformedFileException.class,
                () -> ImageFolder.read(dir, ImageFolder.Options.defaults())).file());
    }

    @Test
    void anEmptyClassFolderOrNoClassFolderIsRefused() throws IOException {
        writeImage(dir.resolve("a/x.png"), "png", 2, 2, (y, x) -> 0);
        Files.createDirectories(dir.resolve("b"));
        Files.writeString(dir.resolve("b/readme.txt"), "no images here");
        MalformedFileException e = assertThrows(MalformedFileException.class,
                () -> ImageFolder.read(dir, ImageFolder.Options.defaults()));
        assertEquals(dir.resolve("b"), e.file());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThrows(DatasetNotFoundException.class, () -> ImageFolder.read(empty, ImageFolder.Options.defaults()));
        assertThrows(DatasetNotFoundException.class, () -> ImageFolder.read(dir.resolve("missing"), ImageFolder.Options.defaults()));
        assertThrows(IllegalArgumentException.class, () -> new ImageFolder.Options(0, 32, ImageFolder.Color.RGB, ImageFolder.Fit.RESIZE));
    }

    private static int[] bytes(float[] s, int from, int to) {
        int[] out = new int[to - from];
        for (int i = from; i < to; i++) {
            out[i - from] = Math.round(s[i] * 255);
        }
        return out;
    }
}
