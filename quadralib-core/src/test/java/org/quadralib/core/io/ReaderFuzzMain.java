package org.quadralib.core.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import org.quadralib.core.Tensor;
import org.quadralib.core.testing.Fuzzer;

/**
 * Fuzzes {@link SafeTensors#readWithMetadata} and {@link Idx#read(Path)} (raw, gzip, and gzip of mutated raw
 * files) from seeds the library writes. Run by {@link ReaderFuzzTest} in a child JVM with a 256 MiB heap;
 * arguments {@code inputs=N seed=S}. Exits 1 on a finding.
 */
public final class ReaderFuzzMain {

    private ReaderFuzzMain() {
    }

    /** @param args {@code inputs=N} per target (default 2000) and {@code seed=S} (default 1) */
    public static void main(String[] args) throws IOException {
        long inputs = Fuzzer.arg(args, "inputs", 2000);
        long seed = Fuzzer.arg(args, "seed", 1);
        Path work = Files.createTempDirectory("quadralib-fuzz");
        Path input = work.resolve("input.bin");
        Fuzzer.InputWriter plain = (bytes, i) -> Files.write(input, bytes);
        Fuzzer.InputWriter gzipped = (bytes, i) -> Files.write(input, gzip(bytes));
        Fuzzer.Documented malformed = (e, file) -> e instanceof MalformedFileException m && file.equals(m.file())
                && m.getMessage().startsWith(file.toString());
        List<Fuzzer.Result> results = new ArrayList<>();
        largestHeaderFitsTheHeap(work);
        results.add(new Fuzzer(safetensorsSeeds(work), seed).run("safetensors", inputs, work, plain,
                SafeTensors::readWithMetadata, malformed));
        List<byte[]> idxRaw = idxSeeds(work, false);
        results.add(new Fuzzer(idxRaw, seed).run("idx", inputs, work, plain, Idx::read, malformed));
        results.add(new Fuzzer(idxSeeds(work, true), seed).run("idx-gzip", inputs, work, plain, Idx::read,
                malformed));
        results.add(new Fuzzer(idxRaw, seed).run("idx-gzip-of-mutated", inputs, work, gzipped, Idx::read,
                malformed));
        Fuzzer.report(results, work);
    }

    /**
     * A header at the 100 MiB limit (five 16 MiB metadata values, 65,536 tensor entries, space padding) reads in
     * this JVM's 256 MiB heap; the old reader ran out of memory decoding one.
     */
    private static void largestHeaderFitsTheHeap(Path work) throws IOException {
        Path file = work.resolve("large.safetensors");
        long headerBytes = SafeTensors.MAX_HEADER_BYTES;
        try (var out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes).array());
            long written = 0;
            byte[] chunk = new byte[1 << 20];
            java.util.Arrays.fill(chunk, (byte) 'x');
            written += put(out, "{\"__metadata__\":{");
            for (int v = 0; v < 5; v++) {
                written += put(out, (v == 0 ? "" : ",") + "\"m" + v + "\":\"");
                for (int left = HeaderJson.MAX_STRING_BYTES - 1; left > 0; left -= chunk.length) {
                    out.write(chunk, 0, Math.min(left, chunk.length));
                    written += Math.min(left, chunk.length);
                }
                written += put(out, "\"");
            }
            written += put(out, "}");
            for (int i = 0; i < SafeTensors.MAX_TENSORS; i++) {
                written += put(out, ",\"t" + i + "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
            }
            written += put(out, "}");
            for (long i = written; i < headerBytes; i++) {
                out.write(' ');
            }
        }
        long t0 = System.nanoTime();
        SafeTensors.Contents contents = SafeTensors.readWithMetadata(file);
        System.out.println(String.format(java.util.Locale.ROOT,
                "LARGE %d-byte header: %d tensors, %d metadata values, read in %.1f s with a %d MiB heap",
                Files.size(file) - 8, contents.tensors().size(), contents.metadata().size(),
                (System.nanoTime() - t0) / 1e9, Runtime.getRuntime().maxMemory() >> 20));
        Files.delete(file);
    }

    private static int put(java.io.OutputStream out, String ascii) throws IOException {
        byte[] b = ascii.getBytes(StandardCharsets.US_ASCII);
        out.write(b);
        return b.length;
    }

    /** Files the writer produces, a PyTorch-style file of every dtype, and a few hostile headers. */
    static List<byte[]> safetensorsSeeds(Path work) throws IOException {
        List<byte[]> seeds = new ArrayList<>();
        Path file = work.resolve("seed.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("features.0.weight", Tensor.of(new float[] {1, -2, 3.5f, 4, 5, 6}, 2, 3));
        tensors.put("features.0.bias", Tensor.of(new float[] {0.25f, -0.5f}, 2));
        tensors.put("scale", Tensor.of(new float[] {7}));
        tensors.put("empty", Tensor.of(new float[0], 0, 3));
        SafeTensors.write(file, tensors, Map.of("format", "pt", "note", "caf\u00e9"));
        seeds.add(Files.readAllBytes(file));
        SafeTensors.write(file, Map.of("w", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2)));
        seeds.add(Files.readAllBytes(file));
        seeds.add(craft("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                + "\"c\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[12,15]},"
                + "\"d\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[15,17]}}", 17));
        seeds.add(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":" + "[".repeat(70)
                + "]".repeat(70) + "}}", 4));
        seeds.add(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1e9999999999]}}", 4));
        seeds.add(craft("{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"},\"\":{\"dtype\":\"U8\",\"shape\":[],"
                + "\"data_offsets\":[0,1]}}", 1));
        return seeds;
    }

    private static byte[] craft(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (int i = 0; i < dataBytes; i++) {
            b.put((byte) (i * 37));
        }
        return b.array();
    }

    /** IDX files of several types and ranks as the writer produces them, raw or gzip. */
    static List<byte[]> idxSeeds(Path work, boolean gzip) throws IOException {
        List<byte[]> seeds = new ArrayList<>();
        Path file = work.resolve("seed.idx");
        byte[] pixels = new byte[2 * 3 * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 11);
        }
        Idx.write(file, new Idx.Data(Idx.DataType.UNSIGNED_BYTE, new int[] {2, 3, 4}, pixels), gzip);
        seeds.add(Files.readAllBytes(file));
        Idx.write(file, new Idx.Data(Idx.DataType.UNSIGNED_BYTE, new int[] {5}, new byte[] {0, 1, 2, 3, 9}), gzip);
        seeds.add(Files.readAllBytes(file));
        Idx.write(file, new Idx.Data(Idx.DataType.FLOAT, new int[] {2}, new byte[8]), gzip);
        seeds.add(Files.readAllBytes(file));
        Idx.write(file, new Idx.Data(Idx.DataType.DOUBLE, new int[] {1, 1}, new byte[8]), gzip);
        seeds.add(Files.readAllBytes(file));
        return seeds;
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(raw);
        }
        return out.toByteArray();
    }
}
