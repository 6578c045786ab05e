package org.quadralib.core.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

/**
 * Reads and writes IDX files, the format of MNIST and Fashion-MNIST, raw or gzip-compressed.
 *
 * <p>Layout: the magic {@code 0x00 0x00 type ndims}; {@code ndims} big-endian 32-bit sizes; then the values,
 * big-endian, row-major. A file is gzip-compressed if it starts with the gzip magic {@code 0x1f 0x8b}, whatever
 * its name. The payload must hold exactly as many bytes as the sizes promise: a truncated download or a file
 * with extra bytes appended is refused with both counts in the message, rather than silently loading shifted
 * images.
 *
 * <p>Hostile files cost little: a payload larger than the file could hold (for gzip, more than deflate's
 * 1032-fold expansion of the file's size) is refused before anything is allocated; a gzip file is inflated
 * only as far as it is read, so decompression stops at the size the header declares and a bomb behind it is
 * never inflated; the gzip file must be exactly one member whose CRC-32 and length match, with no byte after
 * it.
 */
public final class Idx {

    private Idx() {
    }

    /** The element types of the IDX format, with their type byte and width in bytes. */
    public enum DataType {
        /** 0x08: unsigned byte, the type of every MNIST image and label file. */
        UNSIGNED_BYTE(0x08, 1),
        /** 0x09: signed byte. */
        SIGNED_BYTE(0x09, 1),
        /** 0x0B: big-endian signed 16-bit integer. */
        SHORT(0x0B, 2),
        /** 0x0C: big-endian signed 32-bit integer. */
        INT(0x0C, 4),
        /** 0x0D: big-endian float32. */
        FLOAT(0x0D, 4),
        /** 0x0E: big-endian float64. */
        DOUBLE(0x0E, 8);

        private final int code;
        private final int bytes;

        DataType(int code, int bytes) {
            this.code = code;
            this.bytes = bytes;
        }

        /** The type byte in the magic number. */
        public int code() {
            return code;
        }

        /** Bytes per element. */
        public int bytes() {
            return bytes;
        }

        static DataType fromCode(int code) {
            for (DataType t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return null;
        }
    }

    /**
     * The contents of an IDX file.
     *
     * @param type    element type
     * @param dims    the sizes, outermost first (e.g. {@code [60000, 28, 28]} for an image file)
     * @param payload the values exactly as stored: big-endian, row-major, {@code count() * type.bytes()} bytes;
     *                not copied (tens of megabytes for a training set), so treat it as read-only
     */
    public record Data(DataType type, int[] dims, byte[] payload) {

        /**
         * @throws IllegalArgumentException if a size is negative or the payload length does not match the sizes
         */
        public Data {
            dims = dims.clone();
            long expected = byteCount(type, dims);
            if (expected != payload.length) {
                throw new IllegalArgumentException("IDX data of type " + type + " and dims " + Arrays.toString(dims)
                        + " needs " + expected + " payload bytes, got " + payload.length);
            }
        }

        /** The sizes, outermost first (a copy). */
        @Override
        public int[] dims() {
            return dims.clone();
        }

        /** Number of elements, the product of the sizes. */
        public int count() {
            return payload.length / type.bytes;
        }

        /** Every element converted to float (unsigned bytes give 0..255). */
        public float[] toFloats() {
            float[] out = new float[count()];
            ByteBuffer in = ByteBuffer.wrap(payload); // big-endian, the IDX byte order
            for (int i = 0; i < out.length; i++) {
                out[i] = switch (type) {
                    case UNSIGNED_BYTE -> in.get() & 0xff;
                    case SIGNED_BYTE -> in.get();
                    case SHORT -> in.getShort();
                    case INT -> in.getInt();
                    case FLOAT -> in.getFloat();
                    case DOUBLE -> (float) in.getDouble();
                };
            }
            return out;
        }

        /**
         * Every element as an int, as class labels need.
         *
         * @throws IllegalStateException if the type is FLOAT or DOUBLE
         */
        public int[] toInts() {
            if (type == DataType.FLOAT || type == DataType.DOUBLE) {
                throw new IllegalStateException("IDX data of type " + type + " does not hold integers");
            }
            int[] out = new int[count()];
            ByteBuffer in = ByteBuffer.wrap(payload);
            for (int i = 0; i < out.length; i++) {
                out[i] = switch (type) {
                    case UNSIGNED_BYTE -> in.get() & 0xff;
                    case SIGNED_BYTE -> in.get();
                    case SHORT -> in.getShort();
                    default -> in.getInt();
                };
            }
            return out;
        }
    }

    /**
     * Reads an IDX file, gzip-compressed or not.
     *
     * @throws MalformedFileException if the magic, type or sizes are invalid, the payload is shorter or longer
     *                                than the sizes promise (or than the file could hold), or the gzip stream is
     *                                corrupt, is more than one member or has bytes after its end
     * @throws IOException            if the file cannot be read
     */
    public static Data read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file, Files.size(file));
        }
    }

    /**
     * Reads an IDX stream (a classpath resource, say), gzip-compressed or not. The stream is read to its end
     * and not closed.
     *
     * @param source the name used in error messages
     * @throws MalformedFileException as {@link #read(Path)}
     * @throws IOException            if the stream fails
     */
    public static Data read(InputStream stream, Path source) throws IOException {
        return read(stream, source, -1);
    }

    /** @param size the stream's length in bytes if known, else -1 */
    private static Data read(InputStream stream, Path source, long size) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(stream);
        buffered.mark(2);
        int b0 = buffered.read();
        int b1 = buffered.read();
        buffered.reset();
        boolean gzip = b0 == 0x1f && b1 == 0x8b;
        if (!gzip) {
            return readUncompressed(buffered, source, false, size < 0 ? Long.MAX_VALUE : size);
        }
        // Inflated only as far as it is read: the payload is bounded by the header before any of it is inflated.
        try (GzipMember in = new GzipMember(buffered, source)) {
            return readUncompressed(in, source, true, size < 0 ? Long.MAX_VALUE : GzipMember.MAX_RATIO * size);
        }
    }

    /** @param available the most bytes {@code in} can hold (a bound, not an exact count) */
    private static Data readUncompressed(InputStream in, Path source, boolean gzip, long available)
            throws IOException {
        String where = gzip ? " after decompression" : "";
        byte[] magic = in.readNBytes(4);
        if (magic.length < 4) {
            throw new MalformedFileException(source, null, "file holds " + magic.length
                    + " bytes" + where + ", too few for the 4-byte IDX magic number");
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw new MalformedFileException(source, null, String.format(
                    "bad IDX magic 0x%02x%02x%02x%02x: must start with 0x0000 (not an IDX file?)",
                    magic[0], magic[1], magic[2], magic[3]));
        }
        DataType type = DataType.fromCode(magic[2] & 0xff);
        if (type == null) {
            throw new MalformedFileException(source, null, String.format(
                    "unknown IDX type byte 0x%02x (known: 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e)", magic[2] & 0xff));
        }
        int ndims = magic[3] & 0xff;
        if (ndims == 0) {
            throw new MalformedFileException(source, null, "IDX header declares 0 dimensions");
        }
        byte[] sizeBytes = in.readNBytes(4 * ndims);
        if (sizeBytes.length < 4 * ndims) {
            throw new MalformedFileException(source, null, "header declares " + ndims + " dimensions but the file"
                    + where + " ends after " + (4 + sizeBytes.length) + " bytes");
        }
        ByteBuffer sizes = ByteBuffer.wrap(sizeBytes);
        int[] dims = new int[ndims];
        for (int i = 0; i < ndims; i++) {
            int size = sizes.getInt();
            if (size < 0) {
                throw new MalformedFileException(source, null, "dimension " + i + " has size "
                        + Integer.toUnsignedString(size) + ", beyond 2^31-1");
            }
            dims[i] = size;
        }
        long expected = byteCount(type, dims);
        if (expected > Integer.MAX_VALUE - 8) {
            throw new MalformedFileException(source, null, "dims " + Arrays.toString(dims) + " of " + type
                    + " need " + (expected == Long.MAX_VALUE ? "more than 2^63-1" : String.valueOf(expected))
                    + " bytes, more than one Java array holds");
        }
        long headerBytes = 4 + 4L * ndims;
        if (expected > available - headerBytes) {
            // Refused before a payload byte is read or allocated.
            throw new MalformedFileException(source, null, "truncated: dims " + Arrays.toString(dims) + " of " + type
                    + " need " + expected + " payload bytes but the file" + (gzip
                    ? " (" + available / GzipMember.MAX_RATIO + " bytes of gzip, which inflate to at most "
                    + available + ")" : " has only " + Math.max(0, available - headerBytes)));
        }
        byte[] payload = in.readNBytes((int) expected);
        if (payload.length < expected) {
            throw new MalformedFileException(source, null, "truncated: dims " + Arrays.toString(dims) + " of "
                    + type + " need " + expected + " payload bytes but the file" + where + " has only "
                    + payload.length);
        }
        // Counted only up to a bound: the check must not inflate a bomb appended after the payload.
        long trailing = in.readNBytes(TRAILING_COUNTED + 1).length;
        if (trailing > 0) {
            throw new MalformedFileException(source, null, "trailing data: dims " + Arrays.toString(dims) + " of "
                    + type + " need " + expected + " payload bytes but the file" + where + " has "
                    + (trailing > TRAILING_COUNTED ? "more than " + (expected + TRAILING_COUNTED)
                    : String.valueOf(expected + trailing)));
        }
        return new Data(type, dims, payload);
    }

    /** Trailing bytes counted for the message before the count stops. */
    private static final int TRAILING_COUNTED = 1 << 16;

    /**
     * Writes an IDX file atomically (see {@link AtomicFiles}). Compressed output is byte-for-byte reproducible:
     * the gzip header carries no time stamp.
     *
     * @param gzip whether to gzip-compress the file
     * @throws IOException if writing fails; the target is then unchanged
     */
    public static void write(Path file, Data data, boolean gzip) throws IOException {
        int[] dims = data.dims();
        if (dims.length == 0 || dims.length > 255) {
            throw new IllegalArgumentException(file + ": IDX files hold 1 to 255 dimensions, got " + dims.length);
        }
        ByteBuffer header = ByteBuffer.allocate(4 + 4 * dims.length);
        header.put((byte) 0).put((byte) 0).put((byte) data.type().code()).put((byte) dims.length);
        for (int d : dims) {
            header.putInt(d);
        }
        AtomicFiles.writeAtomically(file, out -> {
            OutputStream target = gzip ? new GZIPOutputStream(out, 1 << 16) : out;
            target.write(header.array());
            target.write(data.payload());
            if (target instanceof GZIPOutputStream z) {
                z.finish();
            }
        });
    }

    /** {@code type.bytes() · Π dims}, or {@link Long#MAX_VALUE} if that overflows a long. */
    private static long byteCount(DataType type, int[] dims) {
        long n = type.bytes;
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative IDX dimension in " + Arrays.toString(dims));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE; // far too big to load in any case; callers report it
            }
        }
        return n;
    }
}
