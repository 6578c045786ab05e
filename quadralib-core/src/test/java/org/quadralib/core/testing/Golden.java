package org.quadralib.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.quadralib.core.Tensor;
import org.quadralib.core.io.SafeTensors;

/**
 * A golden case written by {@code goldens/st.py}'s {@code case()}: inputs {@code in.i}, the PyTorch output
 * {@code out}, the seed gradient {@code gout} and the input gradients {@code grad.i}, plus a JSON {@code params}
 * object. {@link #check} runs the same function in QuadraLib and compares forward and backward.
 */
public final class Golden {

    private final String name;
    private final Map<String, Tensor> tensors;
    private final JsonObject params;

    private Golden(String name, Map<String, Tensor> tensors, JsonObject params) {
        this.name = name;
        this.tensors = tensors;
        this.params = params;
    }

    /** Loads {@code /golden/<name>.safetensors} from the test class path. */
    public static Golden load(String name) {
        String res = "/golden/" + name + ".safetensors";
        try (InputStream in = Golden.class.getResourceAsStream(res)) {
            assertNotNull(in, "missing golden fixture " + res + " (regenerate with goldens/*.py)");
            Path tmp = Files.createTempFile("golden", ".safetensors");
            try {
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                SafeTensors.Contents c = SafeTensors.readWithMetadata(tmp);
                String p = c.metadata().getOrDefault("params", "{}");
                return new Golden(name, c.tensors(), JsonParser.parseString(p).getAsJsonObject());
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The case's parameters (kernel sizes, flags...). */
    public JsonObject params() {
        return params;
    }

    /** A stored tensor. */
    public Tensor tensor(String key) {
        Tensor t = tensors.get(key);
        assertNotNull(t, name + ": no tensor '" + key + "'");
        return t;
    }

    /** Fresh copies of the inputs; those PyTorch differentiated require a gradient. */
    public Tensor[] inputs() {
        List<Tensor> in = new ArrayList<>();
        for (int i = 0; tensors.containsKey("in." + i); i++) {
            Tensor t = tensors.get("in." + i).copy();
            if (tensors.containsKey("grad." + i)) {
                t.requiresGrad(true);
            }
            in.add(t);
        }
        return in.toArray(new Tensor[0]);
    }

    /**
     * Runs {@code fn} on the inputs, compares its output with PyTorch's, back-propagates the stored seed gradient
     * and compares every input gradient. Tolerance: {@code |a − b| ≤ atol + rtol·|b|} element-wise.
     */
    public void check(Function<Tensor[], Tensor> fn, float atol, float rtol) {
        Tensor[] in = inputs();
        Tensor out = fn.apply(in);
        assertClose(name + " forward", tensor("out"), out, atol, rtol);
        if (out.requiresGrad()) {
            out.backward(tensor("gout"));
            for (int i = 0; i < in.length; i++) {
                if (tensors.containsKey("grad." + i)) {
                    assertNotNull(in[i].grad(), name + ": no gradient reached input " + i);
                    assertClose(name + " grad of input " + i, tensor("grad." + i), in[i].grad(), atol, rtol);
                }
            }
        }
    }

    /** Forward and backward with the default float32 tolerance (1e-4 absolute, 1e-3 relative). */
    public void check(Function<Tensor[], Tensor> fn) {
        check(fn, 1e-4f, 1e-3f);
    }

    /** Asserts equal shapes and element-wise closeness, naming the worst element. */
    public static void assertClose(String what, Tensor expected, Tensor actual, float atol, float rtol) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), what + ": shape");
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < e.length; i++) {
            double tol = atol + rtol * Math.abs(e[i]);
            double diff = Math.abs(e[i] - a[i]);
            if (!(diff <= tol) && (diff - tol > worstExcess || worst < 0)) {
                worst = i;
                worstExcess = diff - tol;
            }
        }
        if (worst >= 0) {
            throw new AssertionError(what + ": element " + worst + " is " + a[worst] + ", expected " + e[worst]
                    + " (atol " + atol + ", rtol " + rtol + ")");
        }
    }
}
