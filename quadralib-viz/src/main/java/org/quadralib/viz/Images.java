package org.quadralib.viz;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.quadralib.core.io.AtomicFiles;

/** PNG encoding and atomic saving of Java2D images. */
public final class Images {

    private Images() {
    }

    /**
     * The image as PNG bytes.
     *
     * @throws IOException if the JDK has no PNG writer for the image's type or encoding fails
     */
    public static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", out)) {
            throw new IOException("Images.png: no PNG writer for image type " + image.getType());
        }
        return out.toByteArray();
    }

    /**
     * Writes the image as PNG to {@code file}, atomically, creating missing folders.
     *
     * @throws IOException if encoding or writing fails; {@code file} is then unchanged
     */
    public static void savePng(BufferedImage image, Path file) throws IOException {
        AtomicFiles.write(file, png(image));
    }
}
