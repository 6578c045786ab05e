package org.quadralib.autobuild;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/** The PyTorch-side figures of {@code goldens/autobuild.py} and the check of a {@link Summary} against them. */
final class SummaryGolden {

    private static JsonObject all;

    private SummaryGolden() {
    }

    /** The case {@code key}, e.g. {@code resnet20/3x32x32/10} or {@code lenet5/1x28x28/10/PROPOSED}. */
    static JsonObject get(String key) {
        JsonObject c = load().getAsJsonObject(key);
        assertNotNull(c, "no case '" + key + "' in autobuild_summary.json (regenerate with goldens/autobuild.py)");
        return c;
    }

    /** The example input shape of a case. */
    static int[] inputShape(JsonObject c) {
        return ints(c.getAsJsonArray("input"));
    }

    /**
     * Asserts that {@code s} has PyTorch's total parameters and MACs, the same set of layer paths, and per layer the
     * same parameters, MACs and output shape.
     */
    static void check(String key, Summary s) {
        JsonObject c = get(key);
        assertEquals(c.get("total_params").getAsLong(), s.totalParams(), key + ": total parameters");
        assertEquals(c.get("total_macs").getAsLong(), s.totalMacs(), key + ": total MACs");
        JsonObject layers = c.getAsJsonObject("layers");
        Map<String, Summary.Row> rows = new TreeMap<>();
        for (Summary.Row r : s.layers()) {
            if (r.call() == 0) {
                rows.put(r.path(), r);
            }
        }
        assertEquals(new TreeSet<>(layers.keySet()), rows.keySet(), key + ": layer paths");
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : layers.entrySet()) {
            JsonObject want = e.getValue().getAsJsonObject();
            Summary.Row got = rows.get(e.getKey());
            if (want.get("params").getAsLong() != got.params() || want.get("macs").getAsLong() != got.macs()
                    || !Arrays.equals(ints(want.getAsJsonArray("output")), got.outputShape())) {
                wrong.add(e.getKey() + ": PyTorch " + want + ", summary params=" + got.params() + " macs=" + got.macs() + " output="
                        + Arrays.toString(got.outputShape()));
            }
        }
        assertEquals(List.of(), wrong, key + ": layers that differ");
    }

    private static int[] ints(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    private static synchronized JsonObject load() {
        if (all == null) {
            try (InputStream in = SummaryGolden.class.getResourceAsStream("/golden/autobuild_summary.json")) {
                assertNotNull(in, "missing /golden/autobuild_summary.json (regenerate with goldens/autobuild.py)");
                all = JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return all;
    }
}
