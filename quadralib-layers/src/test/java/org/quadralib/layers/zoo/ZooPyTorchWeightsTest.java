package org.quadralib.layers.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.quadralib.core.GradMode;
import org.quadralib.core.Tensor;
import org.quadralib.core.io.SafeTensors;
import org.quadralib.core.testing.Golden;
import org.quadralib.layers.BatchNorm;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.layers.StateDicts;

/**
 * State dicts written by PyTorch ({@code goldens/zoo.py}: {@code model.state_dict()} saved as is, int64
 * {@code num_batches_tracked} included) load strictly into the zoo models with no adapter and give PyTorch's
 * eval-mode output.
 */
class ZooPyTorchWeightsTest {

    private static Path resource(String name) throws URISyntaxException {
        URL url = ZooPyTorchWeightsTest.class.getResource("/golden/" + name + ".safetensors");
        assertNotNull(url, "missing /golden/" + name + ".safetensors (regenerate with goldens/zoo.py)");
        return Path.of(url.toURI());
    }

    private static Module loadAndCompare(String name, Module model) throws IOException, URISyntaxException {
        StateDicts.LoadResult r = StateDicts.load(model, resource("zoo_" + name + "_state"), true);
        assertTrue(r.missing().isEmpty() && r.unexpected().isEmpty());
        SafeTensors.Contents io = SafeTensors.readWithMetadata(resource("zoo_" + name + "_io"));
        model.eval();
        try (GradMode.Scope s = GradMode.noGrad()) {
            Tensor y = model.forward(io.tensors().get("input"));
            Golden.assertClose(name + " output", io.tensors().get("output"), y, 1e-4f, 1e-4f);
        }
        return model;
    }

    @Test
    void lenet5() throws Exception {
        Init.manualSeed(0);
        loadAndCompare("lenet5", Zoo.lenet5(1, 28, 10));
    }

    @Test
    void resnetWithBatchNormAndProjectionShortcuts() throws Exception {
        Init.manualSeed(0);
        Module model = loadAndCompare("resnet14w4", Zoo.resnet(14, 4, 3, 16, 10, LayerFactory.FIRST_ORDER));
        // PyTorch stored int64 counters after three training passes.
        BatchNorm bn = (BatchNorm) model.namedModules().get("layer3.0.shortcut.1");
        assertEquals(3, bn.numBatchesTracked());
    }

    @Test
    void mobilenetWithDepthwiseConvolutions() throws Exception {
        Init.manualSeed(0);
        loadAndCompare("mobilenetw16th", Zoo.mobilenetV1(3, 16, 10, 1 / 16f, LayerFactory.FIRST_ORDER));
    }

    @Test
    void vggWithOddSizedPooling() throws Exception {
        Init.manualSeed(0);
        loadAndCompare("vggtiny", Zoo.vgg(new int[] {8, Zoo.M, 16, Zoo.M}, 3, 14, 5));
    }
}
