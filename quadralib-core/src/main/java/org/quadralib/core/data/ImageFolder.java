package org.quadralib.core.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.quadralib.core.io.MalformedFileException;

/**
 * Images in a folder of class folders, as torchvision's {@code ImageFolder} reads them: {@code root/<class>/<image>},
 * one sub-folder per class, class indices in the sorted order of the folder names, images in the sorted order of
 * their file names within each class (so the order is the same on every file system). Files ending in
 * {@code .png}, {@code .jpg} or {@code .jpeg} (any case) are images and are decoded with {@code javax.imageio};
 * other files and hidden entries are skipped.
 *
 * <p>Each image becomes {@code [C, H, W]} bytes, scaled to [0, 1] when copied out: RGB (C = 3) or grey
 * (C = 1, luma {@code 0.299·R + 0.587·G + 0.114·B}), transparency dropped; then fitted to {@code H×W} as
 * {@link Options#fit()} says. Resampling is bilinear with pixel centres aligned (PyTorch's
 * {@code interpolate(mode="bilinear", align_corners=False)}, no antialiasing), computed here rather than by Java
 * 2D so every machine gets the same bytes.
 */
public final class ImageFolder {

    /** At most this many pixels per decoded image (a 64-megapixel photo); checked before decoding. */
    public static final long MAX_SOURCE_PIXELS = 1L << 26;
    /** At most this many pixels per output image side. */
    public static final int MAX_SIDE = 4096;

    /** The channels of the output. */
    public enum Color {
        /** Three channels, red, green, blue. */
        RGB,
        /** One channel, the luma. */
        GREY;

        /** Number of channels. */
        public int channels() {
            return switch (this) {
                case RGB -> 3;
                case GREY -> 1;
            };
        }
    }

    /** How an image is brought to the output size. */
    public enum Fit {
        /** Scale width and height independently to the output size (the aspect ratio changes). */
        RESIZE,
        /**
         * Scale so that the image covers the output size with its aspect ratio kept, then cut the centre (as
         * torchvision's {@code Resize(min(H, W))} then {@code CenterCrop((H, W))}).
         */
        CENTER_CROP
    }

    /**
     * How images are read.
     *
     * @param height output height, in [1, {@link #MAX_SIDE}]
     * @param width  output width, in [1, {@link #MAX_SIDE}]
     * @param color  RGB or grey
     * @param fit    resize or centre-crop
     */
    public record Options(int height, int width, Color color, Fit fit) {

        /** @throws IllegalArgumentException if a side is outside [1, {@link #MAX_SIDE}] or a choice is null */
        public Options {
            if (height < 1 || height > MAX_SIDE || width < 1 || width > MAX_SIDE) {
                throw new IllegalArgumentException("ImageFolder: output size must be in [1, " + MAX_SIDE + "] per side, got "
                        + height + "x" + width);
            }
            if (color == null || fit == null) {
                throw new IllegalArgumentException("ImageFolder: color and fit must not be null");
            }
        }

        /** 32×32 RGB, resized: the shape of CIFAR images. */
        public static Options defaults() {
            return new Options(32, 32, Color.RGB, Fit.RESIZE);
        }
    }

    private ImageFolder() {
    }

    /**
     * The sorted names of the class folders of {@code root}: its sub-folders that are not hidden.
     *
     * @throws DatasetNotFoundException if {@code root} is not a folder or holds no sub-folder
     * @throws IOException              if the folder cannot be listed
     */
    public static List<String> classNames(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new DatasetNotFoundException("image folder " + root.toAbsolutePath() + " does not exist or is not a"
                    + " folder", root.toString(), List.of(root.toString()));
        }
        List<String> names;
        try (Stream<Path> entries = Files.list(root)) {
            names = entries.filter(p -> Files.isDirectory(p) && !hidden(p)).map(p -> p.getFileName().toString())
                    .sorted().toList();
        }
        if (names.isEmpty()) {
            throw new DatasetNotFoundException("image folder " + root.toAbsolutePath() + " holds no class folder: expected"
                    + " one sub-folder of PNG or JPEG images per class", root.toString(), List.of("<class>/"));
        }
        return names;
    }

    /**
     * Every image under {@code root}, labelled by its class folder; see the class comment. The files are listed and
     * their count checked before any pixel is allocated.
     *
     * @throws DatasetNotFoundException if {@code root} holds no class folder
     * @throws MalformedFileException   if a class folder holds no image, an image cannot be decoded or is larger than
     *                                  {@link #MAX_SOURCE_PIXELS}, or the images need more than one Java array
     * @throws IOException              if a folder or file cannot be read
     */
    public static Dataset read(Path root, Options options) throws IOException {
        List<String> classes = classNames(root);
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            List<Path> images = images(root.resolve(classes.get(c)));
            files.addAll(images);
            for (int i = 0; i < images.size(); i++) {
                labels.add(c);
            }
        }
        int channels = options.color().channels();
        int sampleBytes = channels * options.height() * options.width();
        if ((long) files.size() * sampleBytes > Integer.MAX_VALUE - 8) {
            throw new MalformedFileException(root, null, files.size() + " images of " + sampleBytes
                    + " bytes need more than one Java array holds; use a smaller size or fewer images");
        }
        byte[] pixels = new byte[files.size() * sampleBytes];
        int[] labelArray = new int[files.size()];
        for (int i = 0; i < files.size(); i++) {
            BufferedImage image = decode(files.get(i));
            fit(image, options, pixels, i * sampleBytes);
            labelArray[i] = labels.get(i);
        }
        return new ByteImageDataset(pixels, labelArray, new int[] {channels, options.height(), options.width()},
                classes.size());
    }

    /** The image files of one class folder, sorted by name. */
    private static List<Path> images(Path classFolder) throws IOException {
        List<Path> images;
        try (Stream<Path> entries = Files.list(classFolder)) {
            images = entries.filter(p -> Files.isRegularFile(p) && !hidden(p) && isImageName(p)).sorted(
                    (a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList();
        }
        if (images.isEmpty()) {
            throw new MalformedFileException(classFolder, null, "class folder holds no PNG or JPEG image");
        }
        return images;
    }

    private static boolean isImageName(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".png") || name.endsWith(".jpg") || name.endsWith(".jpeg");
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    /** Decodes one image, checking its size from the header first. */
    private static BufferedImage decode(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new MalformedFileException(file, null, "not a PNG or JPEG image ImageIO can read");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels <= 0 || pixels > MAX_SOURCE_PIXELS) {
                    throw new MalformedFileException(file, null, "image of " + reader.getWidth(0) + "x"
                            + reader.getHeight(0) + " pixels, outside 1.." + MAX_SOURCE_PIXELS);
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (MalformedFileException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // ImageIO reports a corrupt stream as an IIOException or, for some decoders, a runtime exception.
            throw new MalformedFileException(file, null, "cannot decode the image: " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code image} fitted to the output size as {@code [C, H, W]} bytes into {@code dst} at {@code off}.
     * The output pixel {@code (y, x)} samples the source at {@code ((y + ½)·sy − ½ + y0, (x + ½)·sx − ½ + x0)}, where
     * {@code sy, sx} are the scale factors and {@code y0, x0} the offsets of the centre crop (0 for a resize).
     */
    private static void fit(BufferedImage image, Options options, byte[] dst, int off) {
        int srcH = image.getHeight();
        int srcW = image.getWidth();
        int outH = options.height();
        int outW = options.width();
        double sy = srcH / (double) outH;
        double sx = srcW / (double) outW;
        if (options.fit() == Fit.CENTER_CROP) {
            sy = sx = Math.min(sy, sx); // the image covers the output; the longer side overhangs
        }
        double y0 = (srcH - sy * outH) / 2;
        double x0 = (srcW - sx * outW) / 2;
        int[] rgb = image.getRGB(0, 0, srcW, srcH, null, 0, srcW); // ARGB, any source colour model
        int plane = outH * outW;
        for (int y = 0; y < outH; y++) {
            double fy = Math.max(0, Math.min(srcH - 1, (y + 0.5) * sy - 0.5 + y0));
            int ya = (int) fy;
            int yb = Math.min(ya + 1, srcH - 1);
            double wy = fy - ya;
            for (int x = 0; x < outW; x++) {
                double fx = Math.max(0, Math.min(srcW - 1, (x + 0.5) * sx - 0.5 + x0));
                int xa = (int) fx;
                int xb = Math.min(xa + 1, srcW - 1);
                double wx = fx - xa;
                double[] c = new double[3];
                for (int k = 0; k < 3; k++) {
                    int shift = 16 - 8 * k; // red, green, blue
                    double top = (1 - wx) * channel(rgb[ya * srcW + xa], shift) + wx * channel(rgb[ya * srcW + xb], shift);
                    double bottom = (1 - wx) * channel(rgb[yb * srcW + xa], shift) + wx * channel(rgb[yb * srcW + xb], shift);
                    c[k] = (1 - wy) * top + wy * bottom;
                }
                int at = off + y * outW + x;
                if (options.color() == Color.GREY) {
                    dst[at] = toByte(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]);
                } else {
                    for (int k = 0; k < 3; k++) {
                        dst[at + k * plane] = toByte(c[k]);
                    }
                }
            }
        }
    }

    private static int channel(int argb, int shift) {
        return (argb >> shift) & 0xff;
    }

    private static byte toByte(double v) {
        return (byte) Math.max(0, Math.min(255, Math.round(v)));
    }
}
