package org.quadralib.core.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
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
 * no overlap and no hole. The header is parsed as it streams in, by a reader with bounds of its own: strict
 * UTF-8 and JSON, nesting at most 64 deep, strings at most {@link #MAX_STRING_BYTES} bytes, at most
 * {@link #MAX_TENSORS} tensors of at most {@link #MAX_RANK} dimensions, shape and offset values that are
 * non-negative integers without fraction or exponent (as the reference's {@code usize} fields) within range.
 * A name that appears twice (tensor, entry field or metadata key) and an empty tensor name are refused rather
 * than letting one of them win; fields the format does not define are skipped. Any violation throws
 * {@link MalformedFileException} naming the file and, where there is one, the tensor; the writer refuses
 * exactly what the reader would, so every file it writes reads back.
 *
 * <p>Writing produces float32 tensors in name order with the header padded to a multiple of 8 bytes, as the
 * reference implementation does, and replaces the target atomically (see {@link AtomicFiles}).
 */
public final class SafeTensors {

    /** Largest header accepted; the reference implementation uses the same limit against hostile files. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /**
     * Most tensors one file may hold, and most metadata entries, read or written: a bound on the memory a hostile
     * header can claim.
     */
    public static final int MAX_TENSORS = 1 << 16;

    /** Most dimensions a tensor may have, read or written. */
    public static final int MAX_RANK = 64;

    /** Longest name, dtype or metadata string, in UTF-8 bytes, read or written. */
    public static final int MAX_STRING_BYTES = HeaderJson.MAX_STRING_BYTES;

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
            long dataStart = 8 + headerLength;
            // Parsed as it streams in: memory holds the names, shapes and metadata strings, never the raw header.
            Header header = parseHeader(file, new ChannelSlice(channel, file, 8, headerLength), fileSize - dataStart);

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
     * @throws IllegalArgumentException as {@link #write(Path, Map, Map)}
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
     * @throws IllegalArgumentException if a name is null, empty or {@value #METADATA_KEY}, a tensor is null or has
     *                                  more than {@link #MAX_RANK} dimensions, there are more than
     *                                  {@link #MAX_TENSORS} tensors or metadata entries, a name or metadata string is null, holds a
     *                                  lone surrogate or exceeds {@link #MAX_STRING_BYTES}, or the header would
     *                                  exceed {@link #MAX_HEADER_BYTES}: exactly what the reader refuses
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        // Exactly what the reader refuses is refused here, so every file written can be read back.
        if (tensors.size() > MAX_TENSORS) {
            throw new IllegalArgumentException(file + ": " + tensors.size() + " tensors, more than the "
                    + MAX_TENSORS + " a file may hold");
        }
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException(file + ": tensor name " + (name == null ? "null" : "'" + name + "'")
                        + " cannot be stored (names must be non-empty and not '" + METADATA_KEY + "')");
            }
            checkString(file, "tensor name", name);
            if (e.getValue() == null) {
                throw new IllegalArgumentException(file + ": tensor '" + name + "' is null");
            }
            if (e.getValue().dim() > MAX_RANK) {
                throw new IllegalArgumentException(file + ": tensor '" + name + "' has " + e.getValue().dim()
                        + " dimensions, more than the " + MAX_RANK + " a file may hold");
            }
        }
        TreeMap<String, Tensor> sorted = new TreeMap<>(tensors);

        JsonObject header = new JsonObject();
        if (metadata != null && metadata.size() > MAX_TENSORS) {
            throw new IllegalArgumentException(file + ": " + metadata.size() + " metadata entries, more than the "
                    + MAX_TENSORS + " a file may hold");
        }
        if (metadata != null && !metadata.isEmpty()) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException(file + ": metadata entry " + e.getKey() + " = " + e.getValue()
                            + " has a null");
                }
                checkString(file, "metadata key", e.getKey());
                checkString(file, "metadata value", e.getValue());
            }
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
        long paddedLength = (json.length + 7L) / 8 * 8;
        if (paddedLength > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException(file + ": the header would take " + paddedLength
                    + " bytes, more than the limit of " + MAX_HEADER_BYTES);
        }
        int padded = (int) paddedLength;
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

    /** Refuses a string the reader would refuse: longer than {@link #MAX_STRING_BYTES}, or not valid UTF-16. */
    private static void checkString(Path file, String what, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(file + ": " + what + " '" + HeaderJson.abbreviate(value)
                        + "' holds a lone surrogate at index " + i + " (not encodable as UTF-8)");
            }
        }
        // UTF-8 needs at most 3 bytes per char, so only long strings need encoding to be measured.
        if (value.length() * 3L > MAX_STRING_BYTES && value.getBytes(StandardCharsets.UTF_8).length > MAX_STRING_BYTES) {
            throw new IllegalArgumentException(file + ": " + what + " '" + HeaderJson.abbreviate(value)
                    + "' takes more than " + MAX_STRING_BYTES + " bytes of UTF-8");
        }
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

    private static Header parseHeader(Path file, InputStream bytes, long bufferLength) throws IOException {
        HeaderJson json = new HeaderJson(bytes, file);
        if (!json.startsWith('{')) {
            throw new MalformedFileException(file, null, "header does not start with '{' (not a safetensors file?)");
        }
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = Map.of();
        Set<String> seen = new HashSet<>();
        json.beginObject();
        while (json.hasNext()) {
            String name = json.name();
            // Two values under one name would make the file mean different things to different readers.
            if (!seen.add(name)) {
                throw new MalformedFileException(file, HeaderJson.abbreviate(name), "appears twice in the header");
            }
            if (name.equals(METADATA_KEY)) {
                metadata = parseMetadata(file, json);
            } else {
                if (name.isEmpty()) {
                    throw new MalformedFileException(file, null, "a tensor has an empty name");
                }
                if (entries.size() == MAX_TENSORS) {
                    throw new MalformedFileException(file, null, "header holds more than " + MAX_TENSORS
                            + " tensors");
                }
                json.entry(name);
                entries.add(parseEntry(json, name));
                json.entry(null);
            }
        }
        json.end();
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        checkLayout(file, entries, bufferLength);
        return new Header(entries, metadata);
    }

    private static Map<String, String> parseMetadata(Path file, HeaderJson json) throws IOException {
        if (json.nextNull()) {
            return Map.of();
        }
        if (json.peekValue() != '{') {
            throw new MalformedFileException(file, null, "'" + METADATA_KEY + "' must be an object of strings, got "
                    + json.describeNext());
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        json.beginObject();
        while (json.hasNext()) {
            String key = json.name();
            if (json.peekValue() != '"') {
                throw new MalformedFileException(file, null, "'" + METADATA_KEY + "' value for '"
                        + HeaderJson.abbreviate(key) + "' must be a string, got " + json.describeNext());
            }
            if (metadata.size() == MAX_TENSORS) {
                throw new MalformedFileException(file, null, "'" + METADATA_KEY + "' holds more than " + MAX_TENSORS
                        + " entries");
            }
            if (metadata.put(key, json.string("a metadata value")) != null) {
                throw new MalformedFileException(file, null, "'" + METADATA_KEY + "' key '"
                        + HeaderJson.abbreviate(key) + "' appears twice");
            }
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static Entry parseEntry(HeaderJson json, String name) throws IOException {
        if (json.peekValue() != '{') {
            throw json.error("header entry must be an object, got " + json.describeNext());
        }
        String dtypeName = null;
        int[] shape = null;
        long numel = 1;
        long[] offsets = null;
        Set<String> fields = new HashSet<>();
        json.beginObject();
        while (json.hasNext()) {
            String field = json.name();
            if (!fields.add(field)) {
                throw json.error("field '" + HeaderJson.abbreviate(field) + "' appears twice in the entry");
            }
            switch (field) {
                case "dtype" -> {
                    if (json.peekValue() != '"') {
                        throw json.error("'dtype' must be a string, got " + json.describeNext());
                    }
                    dtypeName = json.string("dtype");
                }
                case "shape" -> {
                    List<Long> dims = integers(json, "shape", Integer.MAX_VALUE, MAX_RANK);
                    shape = new int[dims.size()];
                    for (int i = 0; i < shape.length; i++) {
                        shape[i] = dims.get(i).intValue();
                        numel *= shape[i];
                        if (numel > Integer.MAX_VALUE) {
                            throw json.error("shape " + dims + " has more than 2^31-1 elements, beyond what a "
                                    + "Tensor holds");
                        }
                    }
                }
                case "data_offsets" -> {
                    List<Long> pair = integers(json, "data_offsets", Long.MAX_VALUE, 2);
                    if (pair.size() != 2) {
                        throw json.error("'data_offsets' must be [begin, end], got " + pair);
                    }
                    offsets = new long[] {pair.get(0), pair.get(1)};
                }
                // Fields the format does not define are skipped, as the reference implementation does.
                default -> json.skipValue();
            }
        }
        for (String field : List.of("dtype", "shape", "data_offsets")) {
            if (!fields.contains(field)) {
                throw json.error("header entry lacks '" + field + "'");
            }
        }
        DType dtype = DType.parse(dtypeName);
        if (dtype == null) {
            throw json.error("dtype '" + HeaderJson.abbreviate(dtypeName) + "' is not supported (supported: "
                    + Arrays.toString(DType.values()) + ")");
        }
        long begin = offsets[0];
        long end = offsets[1];
        String offsetsText = "[" + begin + "," + end + "]";
        if (end < begin) {
            throw json.error("data_offsets " + offsetsText + " end before they begin");
        }
        long expectedBytes = numel * dtype.bytes;
        if (end - begin != expectedBytes) {
            throw json.error("shape " + Arrays.toString(shape).replace(" ", "") + " of " + dtype + " needs "
                    + expectedBytes + " bytes but data_offsets " + offsetsText + " span " + (end - begin));
        }
        return new Entry(name, dtype, shape, (int) numel, begin, end);
    }

    /** An array of at most {@code maxLength} non-negative integers, each at most {@code max}. */
    private static List<Long> integers(HeaderJson json, String field, long max, int maxLength) throws IOException {
        if (json.peekValue() != '[') {
            throw json.error("'" + field + "' must be an array, got " + json.describeNext());
        }
        List<Long> values = new ArrayList<>();
        json.beginArray();
        while (json.hasNext()) {
            if (values.size() == maxLength) {
                throw json.error("'" + field + "' has more than " + maxLength + " values");
            }
            values.add(json.nonNegativeInteger(field, max));
        }
        return values;
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

    /** {@code length} bytes of a channel from {@code start}, read in chunks (no position of the channel changes). */
    private static final class ChannelSlice extends InputStream {
        private final FileChannel channel;
        private final Path file;
        private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
        private long next;
        private long remaining;

        ChannelSlice(FileChannel channel, Path file, long start, long length) {
            this.channel = channel;
            this.file = file;
            this.next = start;
            this.remaining = length;
            buffer.limit(0);
        }

        @Override
        public int read() throws IOException {
            if (!buffer.hasRemaining()) {
                if (remaining == 0) {
                    return -1;
                }
                buffer.clear().limit((int) Math.min(buffer.capacity(), remaining));
                readFully(channel, file, next, buffer);
                buffer.flip();
                next += buffer.limit();
                remaining -= buffer.limit();
            }
            return buffer.get() & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!buffer.hasRemaining()) {
                if (read() < 0) {
                    return -1;
                }
                buffer.position(buffer.position() - 1);
            }
            int n = Math.min(len, buffer.remaining());
            buffer.get(b, off, n);
            return n;
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
