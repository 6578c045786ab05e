package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.quadralib.core.Tensor;
import org.quadralib.core.io.SafeTensors;
import org.quadralib.core.testing.Golden;

/**
 * Runs a layer against a fixture of {@code goldens/layers.py}: loads PyTorch's parameters and buffers strictly (so
 * the state-dict names must be PyTorch's), runs forward in the recorded mode, back-propagates PyTorch's seed
 * gradient and compares the output, the input and parameter gradients, and the buffers after the step.
 */
final class LayerGolden {

    private LayerGolden() {
    }

    /** Checks {@code module} against {@code /golden/<name>.safetensors} with tolerance 1e-4 + 1e-3·|expected|. */
    static void check(String name, Module module) {
        check(name, module, 1e-4f, 1e-3f);
    }

    static void check(String name, Module module, float atol, float rtol) {
        SafeTensors.Contents file = read(name);
        Map<String, Tensor> t = file.tensors();
        JsonObject params = JsonParser.parseString(file.metadata().get("params")).getAsJsonObject();
        Map<String, Tensor> state = new LinkedHashMap<>();
        Map<String, Tensor> after = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : t.entrySet()) {
            String k = e.getKey();
            if (k.startsWith("param.") || k.startsWith("buffer.")) {
                state.put(k.substring(k.indexOf('.') + 1), e.getValue());
            } else if (k.startsWith("after.")) {
                after.put(k.substring(6), e.getValue());
            }
        }
        module.loadStateDict(state, true);
        module.train(params.get("train").getAsBoolean());

        Tensor x = t.get("in.0").copy().requiresGrad(true);
        Tensor y = module.forward(x);
        Golden.assertClose(name + " forward", t.get("out"), y, atol, rtol);
        y.backward(t.get("gout"));
        assertNotNull(x.grad(), name + ": no gradient reached the input");
        Golden.assertClose(name + " input gradient", t.get("grad.0"), x.grad(), atol, rtol);
        for (Map.Entry<String, Parameter> p : module.namedParameters().entrySet()) {
            Tensor expected = t.get("pgrad." + p.getKey());
            assertNotNull(expected, name + ": PyTorch has no gradient for " + p.getKey());
            assertNotNull(p.getValue().tensor().grad(), name + ": no gradient reached " + p.getKey());
            Golden.assertClose(name + " gradient of " + p.getKey(), expected, p.getValue().tensor().grad(), atol, rtol);
        }
        Map<String, Tensor> own = module.stateDict();
        for (Map.Entry<String, Tensor> b : after.entrySet()) {
            Golden.assertClose(name + " buffer " + b.getKey() + " after the step", b.getValue(), own.get(b.getKey()), atol, rtol);
        }
        assertEquals(after.keySet(), bufferNames(module), name + ": buffers");
    }

    private static Set<String> bufferNames(Module module) {
        Set<String> names = new LinkedHashSet<>(module.stateDict().keySet());
        names.removeAll(module.namedParameters().keySet());
        return names;
    }

    /** The tensors and metadata of a fixture on the test class path. */
    static SafeTensors.Contents read(String name) {
        URL url = LayerGolden.class.getResource("/golden/" + name + ".safetensors");
        assertNotNull(url, "missing golden fixture /golden/" + name + ".safetensors (regenerate with goldens/*.py)");
        try {
            return SafeTensors.readWithMetadata(Path.of(url.toURI()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
