package org.quadralib.core.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Exactly one gzip member (RFC 1952) inflated on demand: nothing is decompressed before it is read, so a
 * reader that stops after the bytes it expects never inflates a bomb. At the end of the member the CRC-32 and
 * the length in the trailer are checked and any byte after the trailer is refused; {@code java.util.zip}'s
 * {@code GZIPInputStream} instead reads concatenated members as one stream and silently drops other trailing
 * bytes. Every violation is a {@link MalformedFileException} naming the source.
 */
final class GzipMember extends InputStream {

    /** Deflate's largest expansion: one compressed byte never inflates to more than 1032 bytes. */
    static final int MAX_RATIO = 1032;

    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;

    private final InputStream raw;
    private final Path source;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final byte[] input = new byte[1 << 16];
    private final byte[] one = new byte[1];
    private int inputLength;
    private long inflated;
    private boolean finished;

    /** Reads and checks the member header from {@code raw}; the stream is not closed by {@link #close()}. */
    GzipMember(InputStream raw, Path source) throws IOException {
        this.raw = raw;
        this.source = source;
        if (rawByte() != 0x1f || rawByte() != 0x8b) {
            throw corrupt("not in gzip format");
        }
        if (rawByte() != 8) {
            throw corrupt("unsupported compression method");
        }
        int flags = rawByte();
        if ((flags & 0xe0) != 0) {
            throw corrupt("reserved header flags set");
        }
        for (int i = 0; i < 6; i++) { // MTIME, XFL, OS
            rawByte();
        }
        if ((flags & FEXTRA) != 0) {
            int length = rawByte() | rawByte() << 8;
            for (int i = 0; i < length; i++) {
                rawByte();
            }
        }
        if ((flags & FNAME) != 0) {
            while (rawByte() != 0) {
                // skip the zero-terminated file name
            }
        }
        if ((flags & FCOMMENT) != 0) {
            while (rawByte() != 0) {
                // skip the zero-terminated comment
            }
        }
        if ((flags & FHCRC) != 0) {
            rawByte();
            rawByte();
        }
    }

    private int rawByte() throws IOException {
        int b = raw.read();
        if (b < 0) {
            throw new MalformedFileException(source, null, "gzip stream ends early (truncated download?)",
                    new EOFException());
        }
        return b;
    }

    private MalformedFileException corrupt(String detail) {
        return new MalformedFileException(source, null, "gzip stream is corrupt: " + detail);
    }

    @Override
    public int read() throws IOException {
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (!finished) {
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw new MalformedFileException(source, null, "gzip stream is corrupt: " + e.getMessage(), e);
            }
            if (n > 0) {
                crc.update(b, off, n);
                inflated += n;
                return n;
            }
            if (inflater.finished()) {
                finish();
            } else if (inflater.needsInput()) {
                int got = raw.read(input);
                if (got < 0) {
                    throw new MalformedFileException(source, null, "gzip stream ends early (truncated download?)",
                            new EOFException());
                }
                inflater.setInput(input, 0, got);
                inputLength = got;
            } else if (inflater.needsDictionary()) {
                throw corrupt("a preset dictionary is not allowed");
            }
        }
        return -1;
    }

    /** Checks the trailer, which starts in the unconsumed input, and that nothing follows it. */
    private void finish() throws IOException {
        finished = true;
        // The inflater's unconsumed bytes are the last `remaining` of the chunk last handed to it.
        int remaining = inflater.getRemaining();
        byte[] trailer = new byte[8];
        int have = Math.min(8, remaining);
        System.arraycopy(input, inputLength - remaining, trailer, 0, have);
        for (int i = have; i < 8; i++) {
            trailer[i] = (byte) rawByte();
        }
        if (le32(trailer, 0) != crc.getValue()) {
            throw corrupt("CRC-32 mismatch");
        }
        if (le32(trailer, 4) != (inflated & 0xffffffffL)) {
            throw corrupt("trailer length " + le32(trailer, 4) + " but " + inflated + " bytes inflated");
        }
        if (remaining > 8 || raw.read() >= 0) {
            throw new MalformedFileException(source, null, "bytes follow the end of the gzip stream (a second gzip "
                    + "member or appended data)");
        }
    }

    private static long le32(byte[] b, int off) {
        return (b[off] & 0xffL) | (b[off + 1] & 0xffL) << 8 | (b[off + 2] & 0xffL) << 16 | (b[off + 3] & 0xffL) << 24;
    }

    @Override
    public void close() {
        inflater.end();
    }
}
