package org.quadralib.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.core.Tensor;

class SafeTensorsTest {

    @TempDir
    Path dir;

    // ---------------------------------------------------------------- round trip and layout

    @Test
    void roundTripKeepsNamesShapesValuesAndMetadata() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("features.0.weight", Tensor.of(new float[] {1, -2, 3.5f, 4, 5, 6}, 2, 3));
        tensors.put("features.0.bias", Tensor.of(new float[] {0.25f, -0.5f}, 2));
        tensors.put("scale", Tensor.of(new float[] {7}));
        tensors.put("empty", Tensor.of(new float[0], 0, 3));
        Path file = dir.resolve("model.safetensors");

        SafeTensors.write(file, tensors, Map.of("format", "pt", "note", "a=b <c>"));
        SafeTensors.Contents read = SafeTensors.readWithMetadata(file);

        assertEquals(List.of("empty", "features.0.bias", "features.0.weight", "scale"),
                List.copyOf(read.tensors().keySet()), "written in name order");
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor back = read.tensors().get(e.getKey());
            assertArrayEquals(e.getValue().shape(), back.shape(), e.getKey());
            assertArrayEquals(e.getValue().toFloatArray(), back.toFloatArray(), e.getKey());
        }
        assertEquals(Map.of("format", "pt", "note", "a=b <c>"), read.metadata());
        assertEquals(read.tensors().keySet(), SafeTensors.read(file).keySet());
    }

    @Test
    void largeTensorsCrossTheReadAndWriteChunks() throws IOException {
        float[] values = new float[300_001];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f - 7;
        }
        Path file = dir.resolve("large.safetensors");
        SafeTensors.write(file, Map.of("big", Tensor.of(values, 300_001)));
        assertArrayEquals(values, SafeTensors.read(file).get("big").toFloatArray());
    }

    @Test
    void writesTheReferenceLayout() throws IOException {
        Path file = dir.resolve("layout.safetensors");
        SafeTensors.write(file, Map.of("b", Tensor.of(new float[] {1, 2}, 2), "a", Tensor.of(new float[] {3}, 1)));

        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header padded to a multiple of 8");
        assertEquals(8 + headerLength + 12, bytes.length);
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{"));
        JsonObject json = JsonParser.parseString(header.strip()).getAsJsonObject();
        assertFalse(json.has(SafeTensors.METADATA_KEY), "no metadata entry when there is none");
        assertEquals("F32", json.getAsJsonObject("a").get("dtype").getAsString());
        assertEquals("[0,4]", json.getAsJsonObject("a").get("data_offsets").toString());
        assertEquals("[4,12]", json.getAsJsonObject("b").get("data_offsets").toString());
        ByteBuffer data = ByteBuffer.wrap(bytes, 8 + (int) headerLength, 12).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(3f, data.getFloat());
        assertEquals(1f, data.getFloat());
        assertEquals(2f, data.getFloat());
    }

    @Test
    void overwritesAnExistingFile() throws IOException {
        Path file = dir.resolve("w.safetensors");
        SafeTensors.write(file, Map.of("x", Tensor.of(new float[] {1, 2, 3}, 3)));
        SafeTensors.write(file, Map.of("y", Tensor.of(new float[] {4}, 1)));
        assertEquals(List.of("y"), List.copyOf(SafeTensors.read(file).keySet()));
        assertEquals(List.of(file), listDir(), "no temporary file left");
    }

    /** The layout PyTorch's {@code save_file} produces for a batch-norm layer, written out by hand. */
    @Test
    void readsEveryDtypeAsWrittenByPyTorch() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(8 + 8 + 16 + 8 + 4 + 4 + 2 + 1 + 1).order(ByteOrder.LITTLE_ENDIAN);
        data.putLong(12345);                                // bn.num_batches_tracked I64 []
        data.putFloat(0.5f).putFloat(-1.5f);                // bn.running_mean F32 [2]
        data.putDouble(Math.PI).putDouble(-2);              // d F64 [2]
        data.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x3555).putShort((short) 0x0001);
        data.putInt(-7);                                    // i I32 [1]
        data.putShort((short) 0x3FC0).putShort((short) 0xBF80); // bf BF16 [2]
        data.putShort((short) -300);                        // s I16 [1]
        data.put((byte) 200);                               // u U8 [1]
        data.put((byte) 1);                                 // flag BOOL [1]
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
                + "\"bn.running_mean\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[16,32]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[32,40]},"
                + "\"i\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[40,44]},"
                + "\"bf\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[44,48]},"
                + "\"s\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[48,50]},"
                + "\"u\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[50,51]},"
                + "\"flag\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[51,52]}}";
        Path file = craft(header + "      ", data.array());

        SafeTensors.Contents c = SafeTensors.readWithMetadata(file);
        assertEquals(Map.of("format", "pt"), c.metadata());
        Map<String, Tensor> t = c.tensors();
        assertEquals(List.of("bn.num_batches_tracked", "bn.running_mean", "d", "h", "i", "bf", "s", "u", "flag"),
                List.copyOf(t.keySet()), "file order");
        assertArrayEquals(new int[0], t.get("bn.num_batches_tracked").shape());
        assertArrayEquals(new float[] {12345}, t.get("bn.num_batches_tracked").toFloatArray());
        assertArrayEquals(new float[] {0.5f, -1.5f}, t.get("bn.running_mean").toFloatArray());
        assertArrayEquals(new float[] {(float) Math.PI, -2}, t.get("d").toFloatArray());
        assertArrayEquals(new int[] {2, 2}, t.get("h").shape());
        assertArrayEquals(new float[] {1, -2, 0.33325195f, 0x1p-24f}, t.get("h").toFloatArray());
        assertArrayEquals(new float[] {-7}, t.get("i").toFloatArray());
        assertArrayEquals(new float[] {1.5f, -1}, t.get("bf").toFloatArray());
        assertArrayEquals(new float[] {-300}, t.get("s").toFloatArray());
        assertArrayEquals(new float[] {200}, t.get("u").toFloatArray());
        assertArrayEquals(new float[] {1}, t.get("flag").toFloatArray());
    }

    @Test
    void halfPrecisionSpecialValues() {
        assertEquals(65504f, SafeTensors.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-14f, SafeTensors.halfToFloat((short) 0x0400), "smallest normal");
        assertEquals(Float.POSITIVE_INFINITY, SafeTensors.halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, SafeTensors.halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(SafeTensors.halfToFloat((short) 0x7E00)));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(SafeTensors.halfToFloat((short) 0x8000)));
    }

    @Test
    void readsAnEmptyFile() throws IOException {
        Path file = craft("{}", new byte[0]);
        assertTrue(SafeTensors.read(file).isEmpty());
    }

    // ---------------------------------------------------------------- rejections

    @Test
    void rejectsHeaderLongerThanTheLimit() throws IOException {
        Path file = dir.resolve("huge.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(200L * 1024 * 1024);
        Files.write(file, b.array());
        assertRejected(file, null, "exceeds the limit");
        // A length with the top bit set is a huge unsigned number, not a negative one.
        b.clear();
        b.putLong(-8);
        Files.write(file, b.array());
        assertRejected(file, null, "18446744073709551608");
    }

    @Test
    void rejectsHeaderBeyondTheFile() throws IOException {
        Path file = dir.resolve("short.safetensors");
        Files.write(file, ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        assertRejected(file, null, "runs past the end of the file");
        Files.write(file, new byte[] {1, 2, 3});
        assertRejected(file, null, "fewer than the 8-byte header length");
    }

    @Test
    void rejectsBadJson() throws IOException {
        assertRejected(craft("{\"a\": {\"dtype\": \"F32\",", new byte[0]), "a", "not valid JSON");
        assertRejected(craft("{'a': 1}", new byte[0]), null, "not valid JSON");
        assertRejected(craft("{} {}", new byte[0]), null, "not valid JSON");
        assertRejected(craft("[1, 2]", new byte[0]), null, "does not start with '{'");
        assertRejected(craft("{\"a\": 1}", new byte[0]), "a", "must be an object");
        byte[] badUtf8 = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        assertRejected(craftRaw(badUtf8, new byte[0]), null, "not valid UTF-8");
    }

    @Test
    void rejectsMissingFields() throws IOException {
        byte[] four = new byte[4];
        assertRejected(craft("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", four), "w", "lacks 'dtype'");
        assertRejected(craft("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", four), "w", "lacks 'shape'");
        assertRejected(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", four), "w", "lacks 'data_offsets'");
        assertRejected(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", four), "w",
                "[begin, end]");
        assertRejected(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", four), "w",
                "non-negative integers");
        assertRejected(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", four), "w",
                "non-negative integers");
        assertRejected(craft("{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", four), "w",
                "'dtype' must be a string");
    }

    @Test
    void rejectsUnknownDtype() throws IOException {
        Path file = craft("{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        assertRejected(file, "w", "dtype 'Q4' is not supported");
    }

    @Test
    void rejectsShapeThatDisagreesWithTheByteCount() throws IOException {
        Path file = craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", new byte[12]);
        assertRejected(file, "w", "needs 16 bytes but data_offsets [0,12] span 12");
    }

    @Test
    void rejectsOffsetsOutOfRange() throws IOException {
        Path file = craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]);
        assertRejected(file, "w", "run past the end of the 8-byte data buffer");
        assertRejected(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", new byte[8]), "w",
                "end before they begin");
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        Path file = craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]);
        assertRejected(file, "b", "overlap tensor 'a'");
    }

    @Test
    void rejectsHolesAndUnclaimedTrailingBytes() throws IOException {
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]), "b",
                "bytes [4, 8)");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "a",
                "bytes [0, 4)");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[6]), null,
                "bytes [4, 6) at the end");
    }

    @Test
    void rejectsDuplicateNamesAndBadMetadata() throws IOException {
        String entry = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        assertRejected(craft("{\"a\":" + entry + ",\"a\":" + entry + "}", new byte[4]), "a", "appears twice");
        assertRejected(craft("{\"__metadata__\":{\"epoch\":3}}", new byte[0]), null, "must be a string");
        assertRejected(craft("{\"__metadata__\":[1]}", new byte[0]), null, "must be an object of strings");
    }

    @Test
    void deepNestingIsRefusedWithoutPrintingTheValue() throws IOException {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        Path file = craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":" + deep + "}}",
                new byte[4]);
        MalformedFileException e = assertRejectedAndShort(file, "w", "deeper than 64 levels");
        assertFalse(e.getMessage().contains("[[["), e.getMessage());
        // Unknown fields within the depth limit are skipped, as the reference does.
        String shallow = "[".repeat(58) + "{\"k\":[1,{\"z\":null}]}" + "]".repeat(58);
        Path ok = craft("{\"w\":{\"x\":" + shallow + ",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                new byte[4]);
        assertEquals(List.of("w"), List.copyOf(SafeTensors.read(ok).keySet()));
    }

    @Test
    void numbersOutOfRangeOrNotPlainIntegersAreRefusedAsMalformed() throws IOException {
        for (String bad : new String[] {"1e9999999999", "1e0", "0.0", "4.0", "-0", "18446744073709551616",
            "9223372036854775808", "1" + "0".repeat(40)}) {
            assertRejectedAndShort(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0," + bad
                    + "]}}", new byte[4]), "w", "data_offsets");
            assertRejectedAndShort(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[" + bad
                    + "],\"data_offsets\":[0,4]}}", new byte[4]), "w", "shape");
        }
        assertRejectedAndShort(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483648],\"data_offsets\":[0,4]}}",
                new byte[4]), "w", "exceeds 2147483647");
    }

    @Test
    void duplicateFieldsAndMetadataKeysAndEmptyNamesAreRefused() throws IOException {
        String fields = "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]";
        assertRejected(craft("{\"w\":{" + fields + ",\"shape\":[1]}}", new byte[4]), "w", "'shape' appears twice");
        assertRejected(craft("{\"w\":{" + fields + ",\"dtype\":\"F16\"}}", new byte[4]), "w", "'dtype' appears twice");
        assertRejected(craft("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", new byte[0]), null,
                "key 'a' appears twice");
        assertRejected(craft("{\"__metadata__\":{},\"__metadata__\":{}}", new byte[0]), SafeTensors.METADATA_KEY,
                "appears twice");
        assertRejected(craft("{\"\":{" + fields + "}}", new byte[4]), null, "empty name");
        // The writer refuses the same names.
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(dir.resolve("x.safetensors"), Map.of("", Tensor.of(new float[] {1}, 1))));
    }

    @Test
    void rankBoundHoldsForReaderAndWriterAlike() throws IOException {
        int[] atLimit = new int[SafeTensors.MAX_RANK];
        java.util.Arrays.fill(atLimit, 1);
        Path file = dir.resolve("rank.safetensors");
        SafeTensors.write(file, Map.of("w", Tensor.of(new float[] {3}, atLimit)));
        assertArrayEquals(atLimit, SafeTensors.read(file).get("w").shape());

        int[] over = new int[SafeTensors.MAX_RANK + 1];
        java.util.Arrays.fill(over, 1);
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of("w", Tensor.of(new float[] {3}, over))));
        assertTrue(w.getMessage().contains("65 dimensions"), w.getMessage());
        String shape = "1,".repeat(100_000) + "1";
        assertRejectedAndShort(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[" + shape + "],\"data_offsets\":[0,4]}}",
                new byte[4]), "w", "more than 64 values");
    }

    @Test
    void stringsTheReaderRefusesTheWriterRefusesToo() throws IOException {
        Path file = dir.resolve("s.safetensors");
        Tensor one = Tensor.of(new float[] {1}, 1);
        for (String bad : new String[] {"a\uD800b", "\uDC00", "x\uD83D"}) {
            assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(file, Map.of(bad, one)));
            assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(file, Map.of("w", one), Map.of("k", bad)));
        }
        String escaped = "{\"a\\ud800b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertRejected(craft(escaped, new byte[4]), null, "lone surrogate");
        // Non-ASCII, escapes and a valid pair all survive the round trip.
        String name = "w\u00e9\u4e2d\uD83D\uDE00\"\\\n\u0001";
        SafeTensors.write(file, Map.of(name, one), Map.of("k\t", "v\u00ff"));
        SafeTensors.Contents back = SafeTensors.readWithMetadata(file);
        assertEquals(List.of(name), List.copyOf(back.tensors().keySet()));
        assertEquals(Map.of("k\t", "v\u00ff"), back.metadata());
        // Overlong and surrogate-encoding UTF-8 sequences are refused.
        for (byte[] seq : new byte[][] {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}}) {
            ByteArrayOutputStream h = new ByteArrayOutputStream();
            h.write('{');
            h.write('"');
            h.write(seq);
            h.writeBytes("\":{}}".getBytes(StandardCharsets.US_ASCII));
            assertRejected(craftRaw(h.toByteArray(), new byte[0]), null, "not valid UTF-8");
        }
    }

    @Test
    void tensorCountBoundHoldsForReaderAndWriterAlike() throws IOException {
        Map<String, Tensor> many = new LinkedHashMap<>();
        Tensor empty = Tensor.of(new float[0], 0);
        for (int i = 0; i <= SafeTensors.MAX_TENSORS; i++) {
            many.put("t" + i, empty);
        }
        Path file = dir.resolve("many.safetensors");
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(file, many));
        assertTrue(w.getMessage().contains("65537 tensors"), w.getMessage());
        assertFalse(Files.exists(file));
        StringBuilder h = new StringBuilder("{");
        for (int i = 0; i <= SafeTensors.MAX_TENSORS; i++) {
            h.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"F32\",\"shape\":[0],"
                    + "\"data_offsets\":[0,0]}");
        }
        assertRejected(craft(h.append('}').toString(), new byte[0]), null, "more than 65536 tensors");
    }

    @Test
    void aLongStringIsRefusedBeforeItIsBuilt() throws IOException {
        byte[] header = new byte[HeaderJson.MAX_STRING_BYTES + 64];
        java.util.Arrays.fill(header, (byte) 'a');
        header[0] = '{';
        header[1] = '"';
        assertRejectedAndShort(craftRaw(header, new byte[0]), null, "longer than 16777216 bytes");
    }

    @Test
    void rejectsATruncatedFile() throws IOException {
        Path file = dir.resolve("cut.safetensors");
        SafeTensors.write(file, Map.of("w", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2)));
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 3));
        assertRejected(file, "w", "file truncated?");
    }

    // ---------------------------------------------------------------- failed writes

    @Test
    void rejectedNamesWriteNothing() {
        Path file = dir.resolve("bad.safetensors");
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of(SafeTensors.METADATA_KEY, Tensor.of(new float[] {1}, 1))));
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of("", Tensor.of(new float[] {1}, 1))));
        assertFalse(Files.exists(file));
    }

    @Test
    void aFailedWriteLeavesNoFileAndNoTemporaryFile() throws IOException {
        // The rename onto a non-empty folder fails after the data was written to the temporary file.
        Path target = Files.createDirectory(dir.resolve("occupied.safetensors"));
        Files.writeString(target.resolve("inside"), "x");
        assertThrows(IOException.class,
                () -> SafeTensors.write(target, Map.of("w", Tensor.of(new float[] {1, 2}, 2))));
        assertEquals(List.of(target), listDir());
        assertTrue(Files.isDirectory(target));
    }

    // ---------------------------------------------------------------- helpers

    private Path craft(String header, byte[] data) throws IOException {
        return craftRaw(header.getBytes(StandardCharsets.UTF_8), data);
    }

    private Path craftRaw(byte[] header, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
        out.write(header);
        out.write(data);
        Path file = Files.createTempFile(dir, "crafted", ".safetensors");
        Files.write(file, out.toByteArray());
        return file;
    }

    private static void assertRejected(Path file, String tensor, String detail) {
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> SafeTensors.read(file));
        assertEquals(file, e.file());
        assertEquals(tensor, e.entry(), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        if (tensor != null) {
            assertTrue(e.getMessage().contains("tensor '" + tensor + "'"), e.getMessage());
        }
        assertTrue(e.getMessage().contains(detail), () -> "expected '" + detail + "' in: " + e.getMessage());
    }

    /** As {@link #assertRejected}, and the message stays short whatever the input. */
    private static MalformedFileException assertRejectedAndShort(Path file, String tensor, String detail) {
        assertRejected(file, tensor, detail);
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().length() < 400, e.getMessage());
        return e;
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }
}
