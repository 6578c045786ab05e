package org.quadralib.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {

    @TempDir
    Path dir;

    @Test
    void roundTripRawAndGzip() throws IOException {
        byte[] pixels = new byte[2 * 3 * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 11);
        }
        Idx.Data data = new Idx.Data(Idx.DataType.UNSIGNED_BYTE, new int[] {2, 3, 4}, pixels);
        for (boolean gzip : new boolean[] {false, true}) {
            // The name says nothing: compression is detected from the content.
            Path file = dir.resolve("images-" + gzip);
            Idx.write(file, data, gzip);
            assertEquals(gzip, isGzip(Files.readAllBytes(file)));
            Idx.Data back = Idx.read(file);
            assertEquals(Idx.DataType.UNSIGNED_BYTE, back.type());
            assertArrayEquals(new int[] {2, 3, 4}, back.dims());
            assertArrayEquals(pixels, back.payload());
            assertEquals(231f, back.toFloats()[21], "unsigned: byte 0xE7 is 231, not -25");
            assertEquals(231, back.toInts()[21]);
        }
    }

    @Test
    void gzipOutputIsReproducible() throws IOException {
        Idx.Data data = new Idx.Data(Idx.DataType.UNSIGNED_BYTE, new int[] {3}, new byte[] {1, 2, 3});
        Idx.write(dir.resolve("a.gz"), data, true);
        Idx.write(dir.resolve("b.gz"), data, true);
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.gz")), Files.readAllBytes(dir.resolve("b.gz")));
    }

    @Test
    void decodesEveryType() throws IOException {
        assertArrayEquals(new float[] {-1, 127}, read(0x09, new byte[] {-1, 127}, 2).toFloats());
        assertArrayEquals(new float[] {-2, 300},
                read(0x0B, ByteBuffer.allocate(4).putShort((short) -2).putShort((short) 300).array(), 2).toFloats());
        assertArrayEquals(new int[] {-70000, 5},
                read(0x0C, ByteBuffer.allocate(8).putInt(-70000).putInt(5).array(), 2).toInts());
        assertArrayEquals(new float[] {1.5f, -0.25f},
                read(0x0D, ByteBuffer.allocate(8).putFloat(1.5f).putFloat(-0.25f).array(), 2).toFloats());
        assertArrayEquals(new float[] {(float) Math.E},
                read(0x0E, ByteBuffer.allocate(8).putDouble(Math.E).array(), 1).toFloats());
        Idx.Data floats = read(0x0D, new byte[4], 1);
        assertThrows(IllegalStateException.class, floats::toInts);
    }

    @Test
    void rejectsTruncatedPayload() throws IOException {
        Path file = file(header(0x08, 2, 3), new byte[5]);
        assertRejected(file, "need 6 payload bytes but the file has only 5");
    }

    @Test
    void rejectsTrailingData() throws IOException {
        Path file = file(header(0x08, 2, 3), new byte[9]);
        assertRejected(file, "need 6 payload bytes but the file has 9");
    }

    @Test
    void rejectsTruncatedGzipPayloadNamingBothCounts() throws IOException {
        Path file = dir.resolve("short.gz");
        Files.write(file, gzip(concat(header(0x08, 10), new byte[4])));
        assertRejected(file, "need 10 payload bytes but the file after decompression has only 4");
    }

    @Test
    void rejectsACutGzipStream() throws IOException {
        byte[] whole = gzip(concat(header(0x08, 1000), new byte[1000]));
        Path file = file(Arrays.copyOf(whole, whole.length - 10));
        assertRejected(file, "gzip stream");
    }

    @Test
    void rejectsBadHeaders() throws IOException {
        assertRejected(file(new byte[] {0x01, 0x00, 0x08, 0x01, 0, 0, 0, 0}), "bad IDX magic");
        assertRejected(file(new byte[] {0x00, 0x00, 0x07, 0x01, 0, 0, 0, 0}), "unknown IDX type byte 0x07");
        assertRejected(file(new byte[] {0x00, 0x00, 0x08, 0x00}), "0 dimensions");
        assertRejected(file(new byte[] {0x00, 0x00, 0x08, 0x03, 0, 0, 0, 1}), "declares 3 dimensions");
        assertRejected(file(new byte[] {0x00, 0x00}), "too few for the 4-byte IDX magic");
        assertRejected(file(new byte[] {0x00, 0x00, 0x08, 0x01, (byte) 0x80, 0, 0, 0}), "beyond 2^31-1");
    }

    @Test
    void aGzipBombBehindThePayloadIsRefusedWithoutInflatingIt() throws IOException {
        // 10 declared bytes, then 256 MiB of zeros: about 256 KB compressed.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out, 1 << 16)) {
            z.write(concat(header(0x08, 10), new byte[10]));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) {
                z.write(zeros);
            }
        }
        byte[] bomb = out.toByteArray();
        long[] consumed = {0};
        InputStream counting = new java.io.FilterInputStream(new java.io.ByteArrayInputStream(bomb)) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                consumed[0] += b < 0 ? 0 : 1;
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                consumed[0] += Math.max(0, n);
                return n;
            }
        };
        Path source = dir.resolve("bomb.gz");
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> Idx.read(counting, source));
        assertTrue(e.getMessage().startsWith(source + ": trailing data"), e.getMessage());
        assertTrue(consumed[0] < 3 * (1 << 16), consumed[0] + " of " + bomb.length + " compressed bytes read");
    }

    @Test
    void aDeclaredSizeTheFileCannotHoldIsRefusedBeforeAllocating() throws IOException {
        // 2 GB declared by a few bytes: raw and gzip, refused from the file size alone.
        byte[] head = header(0x08, 2, 1 << 30);
        assertRejected(file(head, new byte[100]), "need 2147483648");
        assertRejected(file(head, new byte[100]), "more than one Java array");
        byte[] oneGb = header(0x08, 1 << 30);
        assertRejected(file(oneGb, new byte[100]), "the file has only 100");
        Path gz = dir.resolve("small.gz");
        Files.write(gz, gzip(concat(oneGb, new byte[100])));
        assertRejected(gz, "inflate to at most");
    }

    @Test
    void bytesAfterTheGzipMemberAreRefused() throws IOException {
        byte[] member = gzip(concat(header(0x08, 3), new byte[] {1, 2, 3}));
        assertEquals(3, Idx.read(file(member)).count());
        assertRejected(file(member, new byte[] {0}), "bytes follow the end of the gzip stream");
        assertRejected(file(member, "garbage".getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                "bytes follow the end of the gzip stream");
        // A second member is appended data too (GZIPInputStream would have read it as more payload).
        assertRejected(file(member, gzip(new byte[0])), "bytes follow the end of the gzip stream");
        byte[] badCrc = member.clone();
        badCrc[badCrc.length - 8] ^= 1;
        assertRejected(file(badCrc), "CRC-32 mismatch");
        byte[] badLength = member.clone();
        badLength[badLength.length - 4] ^= 1;
        assertRejected(file(badLength), "trailer length");
    }

    // ---------------------------------------------------------------- helpers

    private Idx.Data read(int type, byte[] payload, int n) throws IOException {
        return Idx.read(file(header(type, n), payload));
    }

    private static byte[] header(int type, int... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.array();
    }

    private Path file(byte[]... parts) throws IOException {
        Path file = Files.createTempFile(dir, "crafted", ".idx");
        Files.write(file, concat(parts));
        return file;
    }

    private static byte[] concat(byte[]... parts) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p);
        }
        return out.toByteArray();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(raw);
        }
        return out.toByteArray();
    }

    private static boolean isGzip(byte[] bytes) {
        return bytes.length > 2 && bytes[0] == 0x1f && bytes[1] == (byte) 0x8b;
    }

    private static void assertRejected(Path file, String detail) {
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> Idx.read(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(detail), () -> "expected '" + detail + "' in: " + e.getMessage());
    }
}
