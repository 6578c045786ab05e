package org.quadralib.core.testing;

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
 * A golden case: a safetensors file holding the inputs {@code in.0, in.1, ...}, the reference output {@code out},
 * the seed gradient {@code gout} and the gradients {@code grad.i} of the inputs the reference differentiated, plus
 * a JSON object under the metadata key {@code params} (kernel sizes, flags...). The library's own fixtures are
 * written by {@code goldens/st.py}'s {@code case()} from PyTorch; a user writes theirs the same way (any program
 * that writes safetensors with these names will do). {@link #check} runs the same function in QuadraLib and
 * compares the forward value and every input gradient with the reference.
 *
 * <p>Failures are plain {@link AssertionError}s (any test framework reports them) naming the case, the tensor,
 * the worst element and both values. No test framework is needed on the class path.
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

    /**
     * Loads {@code /golden/<name>.safetensors} from the class path (a test's {@code src/test/resources/golden/}).
     *
     * @throws AssertionError       if there is no such resource
     * @throws UncheckedIOException if it cannot be read or is not a valid safetensors file
     */
    public static Golden load(String name) {
        String res = "/golden/" + name + ".safetensors";
        try (InputStream in = Golden.class.getResourceAsStream(res)) {
            if (in == null) {
                throw new AssertionError("missing golden fixture " + res + " on the class path (regenerate with goldens/*.py)");
            }
            Path tmp = Files.createTempFile("golden", ".safetensors");
            try {
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                return load(name, tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Loads a golden case from a safetensors file.
     *
     * @param name names the case in failure messages
     * @throws UncheckedIOException if the file cannot be read or is not a valid safetensors file
     */
    public static Golden load(String name, Path file) {
        try {
            SafeTensors.Contents c = SafeTensors.readWithMetadata(file);
            String p = c.metadata().getOrDefault("params", "{}");
            return new Golden(name, c.tensors(), JsonParser.parseString(p).getAsJsonObject());
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": cannot read golden file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The case's parameters (kernel sizes, flags...). */
    public JsonObject params() {
        return params;
    }

    /**
     * A stored tensor.
     *
     * @throws AssertionError naming the case if there is no tensor {@code key}
     */
    public Tensor tensor(String key) {
        Tensor t = tensors.get(key);
        if (t == null) {
            throw new AssertionError(name + ": no tensor '" + key + "' (it holds " + tensors.keySet() + ")");
        }
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
     *
     * @param fn the function under test, taking {@link #inputs()}
     * @throws AssertionError naming the case, the tensor and the worst element on any mismatch, or when no gradient
     *                        reached an input the reference differentiated
     */
    public void check(Function<Tensor[], Tensor> fn, float atol, float rtol) {
        Tensor[] in = inputs();
        Tensor out = fn.apply(in);
        assertClose(name + " forward", tensor("out"), out, atol, rtol);
        if (out.requiresGrad()) {
            out.backward(tensor("gout"));
            for (int i = 0; i < in.length; i++) {
                if (tensors.containsKey("grad." + i)) {
                    if (in[i].grad() == null) {
                        throw new AssertionError(name + ": no gradient reached input " + i);
                    }
                    assertClose(name + " grad of input " + i, tensor("grad." + i), in[i].grad(), atol, rtol);
                }
            }
        }
    }

    /** Forward and backward with the default float32 tolerance (1e-4 absolute, 1e-3 relative). */
    public void check(Function<Tensor[], Tensor> fn) {
        check(fn, 1e-4f, 1e-3f);
    }

    /**
     * Asserts equal shapes and element-wise closeness, {@code |actual − expected| ≤ atol + rtol·|expected|} (NaN is
     * never close), naming the worst element.
     *
     * @param what names the comparison in the failure message
     * @throws AssertionError on a shape mismatch or on any element outside the tolerance
     */
    public static void assertClose(String what, Tensor expected, Tensor actual, float atol, float rtol) {
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            throw new AssertionError(what + ": shape " + Arrays.toString(actual.shape()) + ", expected "
                    + Arrays.toString(expected.shape()));
        }
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
