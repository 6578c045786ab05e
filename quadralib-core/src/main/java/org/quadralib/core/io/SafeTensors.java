package org.quadralib.core.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.quadralib.core.Tensor;

/**
 * Reads and writes <a href="https://github.com/huggingface/safetensors">safetensors</a> files, the format
 * PyTorch and Hugging Face use to exchange weights without pickle.
 *
 * <p>Layout: an 8-byte little-endian unsigned header length {@code N}; {@code N} bytes of UTF-8 JSON mapping
 * each tensor name to {@code {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}} plus an optional
 * {@code "__metadata__"} object of string to string; then the data buffer, little-endian, row-major, with the
 * offsets relative to its start. The header may be padded with trailing spaces.
 *
 * <p>Reading converts every supported dtype to float32 (PyTorch files hold, for example, int64
 * {@code num_batches_tracked} buffers beside the float weights). Every claim the header makes is checked
 * before a byte of data is trusted: the header length, the JSON, each entry's fields, that each tensor's byte
 * range matches its shape and dtype, lies inside the buffer, and that the ranges tile the buffer exactly with
 * no overlap and no hole. Any violation throws {@link MalformedFileException} naming the file and the tensor.
 *
 * <p>Writing produces float32 tensors in name order with the header padded to a multiple of 8 bytes, as the
 * reference implementation does, and replaces the target atomically (see {@link AtomicFiles}).
 */
public final class SafeTensors {

    /** Largest header accepted; the reference implementation uses the same limit against hostile files. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** The reserved header key under which free-form string metadata is stored. */
    public static final String METADATA_KEY = "__metadata__";

    private static final int CHUNK_BYTES = 1 << 20;
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private SafeTensors() {
    }

    /**
     * The tensors and metadata of one file.
     *
     * @param tensors  name to tensor, in the order their data appears in the file (for files written by
     *                 {@link #write}, sorted by name)
     * @param metadata the {@code __metadata__} entries, empty when the file has none; unmodifiable
     */
    public record Contents(LinkedHashMap<String, Tensor> tensors, Map<String, String> metadata) {
    }

    /**
     * Reads every tensor of a safetensors file as float32.
     *
     * @return name to tensor, in file order; each tensor has the shape the header declares
     * @throws MalformedFileException if the file breaks the format in any way listed in the class comment, or
     *                                holds a dtype other than F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32,
     *                                U16, U8 or BOOL
     * @throws IOException            if the file cannot be read
     */
    public static LinkedHashMap<String, Tensor> read(Path file) throws IOException {
        return readWithMetadata(file).tensors();
    }

    /**
     * Reads every tensor and the {@code __metadata__} map of a safetensors file.
     *
     * @throws MalformedFileException as {@link #read(Path)}, and if a metadata value is not a string
     * @throws IOException            if the file cannot be read
     */
    public static Contents readWithMetadata(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new MalformedFileException(file, null, "file has " + fileSize
                        + " bytes, fewer than the 8-byte header length that starts a safetensors file");
            }
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, file, 0, prefix);
            long headerLength = prefix.flip().getLong();
            // Compared unsigned: a length with the top bit set is a huge u64, not a negative number.
            if (Long.compareUnsigned(headerLength, MAX_HEADER_BYTES) > 0) {
                throw new MalformedFileException(file, null, "header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes (not a safetensors file?)");
            }
            if (8 + headerLength > fileSize) {
                throw new MalformedFileException(file, null, "header length " + headerLength
                        + " runs past the end of the file (" + fileSize + " bytes; truncated?)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, file, 8, headerBytes);
            long dataStart = 8 + headerLength;
            Header header = parseHeader(file, headerBytes.flip(), fileSize - dataStart);

            LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry entry : header.entries()) {
                // Decoded straight into the tensor's storage: no second copy of a large checkpoint in memory.
                Tensor tensor = Tensor.empty(entry.shape());
                readValues(channel, file, dataStart, entry, tensor.data(), tensor.offset());
                tensors.put(entry.name(), tensor);
            }
            return new Contents(tensors, header.metadata());
        }
    }

    /**
     * Writes float32 tensors without metadata; see {@link #write(Path, Map, Map)}.
     *
     * @throws IOException              if writing fails; the target is then unchanged
     * @throws IllegalArgumentException if a name is null, empty or {@value #METADATA_KEY}, or a tensor is null
     */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /**
     * Writes tensors as float32, sorted by name, with the header padded by spaces to a multiple of 8 bytes, and
     * replaces {@code file} atomically: on failure the previous file (if any) is untouched and no temporary
     * file is left behind.
     *
     * @param tensors  name to tensor, any shape (scalars and empty tensors included), any layout
     * @param metadata stored under {@value #METADATA_KEY}; omitted when null or empty
     * @throws IOException              if writing fails
     * @throws IllegalArgumentException if a name is null, empty or {@value #METADATA_KEY}, a tensor is null, or
     *                                  a metadata key or value is null
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException(file + ": tensor name " + (name == null ? "null" : "'" + name + "'")
                        + " cannot be stored (names must be non-empty and not '" + METADATA_KEY + "')");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException(file + ": tensor '" + name + "' is null");
            }
        }
        TreeMap<String, Tensor> sorted = new TreeMap<>(tensors);

        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            metadata.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new IllegalArgumentException(file + ": metadata entry " + k + " = " + v + " has a null");
                }
            });
            JsonObject meta = new JsonObject();
            new TreeMap<>(metadata).forEach(meta::addProperty);
            header.add(METADATA_KEY, meta);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
            int[] shape = e.getValue().shape();
            long bytes = 4L * e.getValue().numel();
            JsonObject info = new JsonObject();
            info.addProperty("dtype", "F32");
            JsonArray shapeJson = new JsonArray();
            for (int s : shape) {
                shapeJson.add(s);
            }
            info.add("shape", shapeJson);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + bytes);
            info.add("data_offsets", offsets);
            header.add(e.getKey(), info);
            offset += bytes;
        }
        byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
        // The reference pads with spaces so the data buffer starts 8-byte aligned, letting readers map it directly.
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');

        AtomicFiles.writeAtomically(file, out -> {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(prefix.array());
            out.write(headerBytes);
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : sorted.values()) {
                writeFloats(out, t.toFloatArray(), chunk);
            }
        });
    }

    private static void writeFloats(OutputStream out, float[] values, ByteBuffer chunk) throws IOException {
        int perChunk = chunk.capacity() / 4;
        for (int start = 0; start < values.length; start += perChunk) {
            int count = Math.min(perChunk, values.length - start);
            chunk.clear();
            chunk.asFloatBuffer().put(values, start, count);
            out.write(chunk.array(), 0, count * 4);
        }
    }

    // ---------------------------------------------------------------- header parsing and validation

    private record Entry(String name, DType dtype, int[] shape, int numel, long begin, long end) {
    }

    private record Header(List<Entry> entries, Map<String, String> metadata) {
    }

    private static Header parseHeader(Path file, ByteBuffer bytes, long bufferLength) throws IOException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedFileException(file, null, "header is not valid UTF-8", e);
        }
        if (!text.startsWith("{")) {
            throw new MalformedFileException(file, null, "header does not start with '{' (not a safetensors file?)");
        }

        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = Map.of();
        Set<String> seen = new HashSet<>();
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            reader.beginObject();
            while (reader.hasNext()) {
                String name = reader.nextName();
                // Gson's tree model keeps only the last of duplicate keys; two tensors with one name would make
                // the file mean different things to different readers, so duplicates are refused.
                if (!seen.add(name)) {
                    throw new MalformedFileException(file, name, "appears twice in the header");
                }
                JsonElement value = JsonParser.parseReader(reader);
                if (name.equals(METADATA_KEY)) {
                    metadata = parseMetadata(file, value);
                } else {
                    entries.add(parseEntry(file, name, value));
                }
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new MalformedFileException(file, null, "header has content after its closing '}'");
            }
        } catch (JsonParseException | IllegalStateException e) {
            throw new MalformedFileException(file, null, "header is not valid JSON: " + e.getMessage(), e);
        } catch (MalformedFileException e) {
            throw e;
        } catch (IOException e) {
            // Gson's MalformedJsonException and EOFException are IOExceptions too, but describe bad JSON.
            throw new MalformedFileException(file, null, "header is not valid JSON: " + e.getMessage(), e);
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        checkLayout(file, entries, bufferLength);
        return new Header(entries, metadata);
    }

    private static Map<String, String> parseMetadata(Path file, JsonElement value) throws MalformedFileException {
        if (value.isJsonNull()) {
            return Map.of();
        }
        if (!value.isJsonObject()) {
            throw new MalformedFileException(file, null, "'" + METADATA_KEY + "' must be an object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : value.getAsJsonObject().entrySet()) {
            JsonElement v = e.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw new MalformedFileException(file, null, "'" + METADATA_KEY + "' value for '" + e.getKey()
                        + "' must be a string, got " + v);
            }
            metadata.put(e.getKey(), v.getAsString());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static Entry parseEntry(Path file, String name, JsonElement value) throws MalformedFileException {
        if (!value.isJsonObject()) {
            throw new MalformedFileException(file, name, "header entry must be an object, got " + value);
        }
        JsonObject info = value.getAsJsonObject();
        JsonElement dtypeJson = required(file, name, info, "dtype");
        if (!dtypeJson.isJsonPrimitive() || !dtypeJson.getAsJsonPrimitive().isString()) {
            throw new MalformedFileException(file, name, "'dtype' must be a string, got " + dtypeJson);
        }
        DType dtype = DType.parse(dtypeJson.getAsString());
        if (dtype == null) {
            throw new MalformedFileException(file, name, "dtype '" + dtypeJson.getAsString()
                    + "' is not supported (supported: " + Arrays.toString(DType.values()) + ")");
        }

        JsonArray shapeJson = requiredArray(file, name, info, "shape");
        int[] shape = new int[shapeJson.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            long size = nonNegativeInteger(file, name, "shape", shapeJson.get(i));
            if (size > Integer.MAX_VALUE) {
                throw new MalformedFileException(file, name, "shape " + shapeJson + " has a dimension above 2^31-1");
            }
            shape[i] = (int) size;
            numel *= size;
            if (numel > Integer.MAX_VALUE) {
                throw new MalformedFileException(file, name, "shape " + shapeJson
                        + " has more than 2^31-1 elements, beyond what a Tensor holds");
            }
        }

        JsonArray offsets = requiredArray(file, name, info, "data_offsets");
        if (offsets.size() != 2) {
            throw new MalformedFileException(file, name, "'data_offsets' must be [begin, end], got " + offsets);
        }
        long begin = nonNegativeInteger(file, name, "data_offsets", offsets.get(0));
        long end = nonNegativeInteger(file, name, "data_offsets", offsets.get(1));
        if (end < begin) {
            throw new MalformedFileException(file, name, "data_offsets " + offsets + " end before they begin");
        }
        long expectedBytes = numel * dtype.bytes;
        if (end - begin != expectedBytes) {
            throw new MalformedFileException(file, name, "shape " + shapeJson + " of " + dtype + " needs "
                    + expectedBytes + " bytes but data_offsets " + offsets + " span " + (end - begin));
        }
        return new Entry(name, dtype, shape, (int) numel, begin, end);
    }

    private static JsonElement required(Path file, String name, JsonObject info, String field)
            throws MalformedFileException {
        JsonElement v = info.get(field);
        if (v == null || v.isJsonNull()) {
            throw new MalformedFileException(file, name, "header entry lacks '" + field + "'");
        }
        return v;
    }

    private static JsonArray requiredArray(Path file, String name, JsonObject info, String field)
            throws MalformedFileException {
        JsonElement v = required(file, name, info, field);
        if (!v.isJsonArray()) {
            throw new MalformedFileException(file, name, "'" + field + "' must be an array, got " + v);
        }
        return v.getAsJsonArray();
    }

    private static long nonNegativeInteger(Path file, String name, String field, JsonElement v)
            throws MalformedFileException {
        if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()) {
            BigDecimal d = new BigDecimal(v.getAsString());
            if (d.signum() >= 0 && d.stripTrailingZeros().scale() <= 0
                    && d.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0) {
                return d.longValueExact();
            }
        }
        throw new MalformedFileException(file, name, "'" + field + "' must hold non-negative integers, got " + v);
    }

    /**
     * The format requires the tensors' byte ranges to tile the data buffer exactly. Overlaps would let one
     * tensor's bytes be read as another's; holes and trailing bytes would hide data no reader looks at.
     * {@code byOffset} is sorted by begin, then end.
     */
    private static void checkLayout(Path file, List<Entry> byOffset, long bufferLength)
            throws MalformedFileException {
        for (Entry e : byOffset) {
            if (e.end() > bufferLength) {
                throw new MalformedFileException(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                        + "] run past the end of the " + bufferLength + "-byte data buffer (file truncated?)");
            }
        }
        long covered = 0;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.begin() < covered) {
                throw new MalformedFileException(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlap tensor '" + previous.name() + "' [" + previous.begin() + ", "
                        + previous.end() + "]");
            }
            if (e.begin() > covered) {
                throw new MalformedFileException(file, e.name(), "bytes [" + covered + ", " + e.begin()
                        + ") of the data buffer before this tensor belong to no tensor");
            }
            covered = e.end();
            previous = e;
        }
        if (covered != bufferLength) {
            throw new MalformedFileException(file, null, "bytes [" + covered + ", " + bufferLength
                    + ") at the end of the data buffer belong to no tensor");
        }
    }

    // ---------------------------------------------------------------- data

    private static void readValues(FileChannel channel, Path file, long dataStart, Entry entry, float[] dst,
                                   int dstOffset) throws IOException {
        long remaining = entry.end() - entry.begin();
        long position = dataStart + entry.begin();
        // Whole elements per chunk, so no value straddles two reads.
        int chunkBytes = (int) Math.min(remaining, CHUNK_BYTES - CHUNK_BYTES % entry.dtype().bytes);
        ByteBuffer chunk = ByteBuffer.allocate(Math.max(chunkBytes, 1)).order(ByteOrder.LITTLE_ENDIAN);
        int filled = dstOffset;
        while (remaining > 0) {
            chunk.clear().limit((int) Math.min(remaining, chunkBytes));
            readFully(channel, file, position, chunk);
            chunk.flip();
            int count = chunk.remaining() / entry.dtype().bytes;
            entry.dtype().decode(chunk, dst, filled, count);
            filled += count;
            position += chunk.limit();
            remaining -= chunk.limit();
        }
    }

    private static void readFully(FileChannel channel, Path file, long position, ByteBuffer dst) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, at);
            if (n < 0) {
                throw new MalformedFileException(file, null, "file ended at byte " + at + " while "
                        + dst.remaining() + " more bytes were expected (truncated while being read?)");
            }
            at += n;
        }
    }

    /** The dtypes read; each decodes little-endian values from a buffer into floats. */
    private enum DType {
        F64(8) {
            @Override
            void decode(ByteBuffer src, float[] dst, int off, int count) {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = (float) src.getDouble();
                }
            }
        },
        F32(4) {
            @Override
            void decode(ByteBuffer src, float[] dst, int off, int count) {
                src.asFloatBuffer().get(dst, off, count);
            }
        },
        F16(2) {
            @Override
            void decode(ByteBuffer src, float[] dst, int off, int count) {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = halfToFloat(src.getShort());
                }
            }
        },
        BF16(2) {
            @Override
            void decode(ByteBuffer src, float[] dst, int off, int count) {
                // bfloat16 is the upper half of a float32.
                for (int i = 0; i < count; i++) {
                    dst[off + i] = Float.intBitsToFloat((src.getShort() & 0xffff) << 16);
                }
            }
        },
        I64(8) {
            @Override
            void decode(ByteBuffer src, float[] dst, int off, int count) {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = (float) src.getLong();
                }
            }
        },
        I32(4) {
            @Override
            void decode(ByteBuffer src, float[] dst, int off, int count) {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = (float) src.getInt();
                }
            }
        },
        I16(2) {
            @Override
            void decode(ByteBuffer src, float[] dst, int off, int count) {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = src.getShort();
                }
            }
        },
        I8(1) {
            @Override
            void decode(ByteBuffer src, float[] dst, int off, int count) {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = src.get();
                }
            }
        },
        U64(8) {
            @Override
            void decode(ByteBuffer src, float[] dst, int off, int count) {
                for (int i = 0; i < count; i++) {
                    long v = src.getLong();
                    // Halve (keeping the low bit so rounding stays correct), convert, double back.
                    dst[off + i] = v >= 0 ? (float) v : 2f * (float) ((v >>> 1) | (v & 1));
                }
            }
        },
        U32(4) {
            @Override
            void decode(ByteBuffer src, float[] dst, int off, int count) {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = (float) (src.getInt() & 0xffffffffL);
                }
            }
        },
        U16(2) {
            @Override
            void decode(ByteBuffer src, float[] dst, int off, int count) {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = src.getShort() & 0xffff;
                }
            }
        },
        U8(1) {
            @Override
            void decode(ByteBuffer src, float[] dst, int off, int count) {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = src.get() & 0xff;
                }
            }
        },
        BOOL(1) {
            @Override
            void decode(ByteBuffer src, float[] dst, int off, int count) {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = src.get() != 0 ? 1f : 0f;
                }
            }
        };

        final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }

        /** Decodes {@code count} values at the buffer's position into {@code dst[off..off+count)}. */
        abstract void decode(ByteBuffer src, float[] dst, int off, int count);

        static DType parse(String name) {
            for (DType d : values()) {
                if (d.name().equals(name)) {
                    return d;
                }
            }
            return null;
        }
    }

    /** IEEE 754 binary16 to float32; exact, since every half value is representable as a float. */
    static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f; // zero or subnormal
            return sign != 0 ? -magnitude : magnitude;
        }
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13)); // infinity or NaN
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }
}
