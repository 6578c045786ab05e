package org.quadralib.autobuild;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import org.junit.jupiter.api.Test;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.ArrayDataset;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.QuadraticLayer;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;
import org.quadralib.layers.train.Trainer;

class ExplorerTest {

    /** An MLP 4 → 8 → 8 → 3 converted to PROPOSED: layers "0", "2", "4". */
    static Module quadraticMlp() {
        Init.manualSeed(21);
        Module mlp = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 8), new ReLU(), new Linear(8, 3));
        return Converter.convert(mlp, ConversionPolicy.all()).model();
    }

    /**
     * A deterministic stand-in for validation accuracy: 0.9 minus a fixed drop for each masked layer, so every δ_A is
     * known: layer 0 loses 0.2, layer 2 nothing, layer 4 0.05.
     */
    static final ToDoubleFunction<Module> ACCURACY = m -> {
        Map<String, Module> mods = m.namedModules();
        double acc = 0.9;
        if (mods.get("0") instanceof QuadraticLayer q && q.quadraticTermMasked() || !(mods.get("0") instanceof QuadraticLayer)) {
            acc -= 0.2;
        }
        if (mods.get("4") instanceof QuadraticLayer q && q.quadraticTermMasked() || !(mods.get("4") instanceof QuadraticLayer)) {
            acc -= 0.05;
        }
        return acc;
    };

    static final Tensor EXAMPLE = SummaryTest.input(new int[] {5, 4});

    @Test
    void importanceIsShareOfParametersTimesShareOfMacsOverTheAccuracyDrop() {
        Module model = quadraticMlp();
        LayerImportance.Scores s = LayerImportance.score(model, EXAMPLE, ACCURACY);
        // PROPOSED: three [out, in] weights and a bias per layer.
        long p0 = 3 * 4 * 8 + 8;
        long p2 = 3 * 8 * 8 + 8;
        long p4 = 3 * 8 * 3 + 3;
        long total = p0 + p2 + p4;
        long m0 = 5L * 8 * (3 * 4 + 1);
        long m2 = 5L * 8 * (3 * 8 + 1);
        long m4 = 5L * 3 * (3 * 8 + 1);
        long macs = m0 + m2 + m4;
        assertEquals(total, s.totalParams());
        assertEquals(macs, s.totalMacs());
        assertEquals(0.9, s.baselineAccuracy(), 1e-12);
        LayerImportance.Score l0 = s.layer("0");
        assertEquals(p0, l0.params());
        assertEquals(m0, l0.macs());
        assertEquals(0.2, l0.accuracyDrop(), 1e-12);
        assertEquals((double) p0 / total * m0 / macs / 0.2, l0.importance(), 1e-12);
        assertEquals(0.0, s.layer("2").accuracyDrop(), 1e-12);
        assertEquals(Double.POSITIVE_INFINITY, s.layer("2").importance());
        assertEquals((double) p4 / total * m4 / macs / 0.05, s.layer("4").importance(), 1e-12);
        for (Module m : model.namedModules().values()) {
            if (m instanceof QuadraticLayer q) {
                assertFalse(q.quadraticTermMasked(), "scoring left a mask on");
            }
        }
        String table = s.toString();
        assertTrue(table.contains("+inf") && table.contains("PROPOSED QuadraticLinear"), table);
    }

    @Test
    void greedyKeepsLayersInIncreasingImportanceWhileTheyFit() {
        Module model = quadraticMlp();
        long firstOrder = 4 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3;
        // Extra parameters of each layer staying quadratic: two more weights.
        long e0 = 2 * 4 * 8;
        long e2 = 2 * 8 * 8;
        long e4 = 2 * 8 * 3;
        // RI order: layer 0 (0.2 drop) and layer 4 (0.05 drop) have finite RI, layer 2 (no drop) is +inf and comes last.
        LayerImportance.Scores s = LayerImportance.score(model, EXAMPLE, ACCURACY);
        assertTrue(s.layer("0").importance() < s.layer("4").importance());

        Explorer.Exploration all = Explorer.explore(model, EXAMPLE, ACCURACY, Budget.parameters(firstOrder + e0 + e2 + e4));
        assertEquals(List.of("0", "2", "4"), all.quadraticLayers());

        // Room for layers 0 and 4 but not 2: the +inf layer is the one dropped.
        Explorer.Exploration two = Explorer.explore(model, EXAMPLE, ACCURACY, Budget.parameters(firstOrder + e0 + e4 + e2 / 2));
        assertEquals(List.of("0", "4"), two.quadraticLayers());
        assertEquals(firstOrder + e0 + e4, two.cost());
        assertEquals(two.model().parameterCount(), two.cost());

        // Room for less than layer 0: it does not fit, but the cheaper layer 4 after it still does.
        Explorer.Exploration one = Explorer.explore(model, EXAMPLE, ACCURACY, Budget.parameters(firstOrder + e4 + 1));
        assertEquals(List.of("4"), one.quadraticLayers());
        assertEquals(Explorer.Decision.FIRST_ORDER, one.layers().get(0).decision());
        assertTrue(one.layers().get(0).reason().startsWith("over budget"), one.layers().get(0).reason());
        assertEquals(0.9 - 0.2, one.accuracy(), 1e-12);
        assertEquals(e0, one.layers().get(0).extraCost());

        Explorer.Exploration none = Explorer.explore(model, EXAMPLE, ACCURACY, Budget.parameters(firstOrder));
        assertEquals(List.of(), none.quadraticLayers());
        assertEquals(firstOrder, none.allFirstOrderCost());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Explorer.explore(model, EXAMPLE, ACCURACY, Budget.parameters(firstOrder - 1)));
        assertTrue(e.getMessage().contains(String.format("%,d", firstOrder)), e.getMessage());
        String table = one.toString();
        assertTrue(table.contains("FIRST_ORDER") && table.contains("QUADRATIC") && table.contains("Accuracy: all quadratic 0.9000"), table);
    }

    @Test
    void demotedLayersKeepTheirLinearTermWeights() {
        Module model = quadraticMlp();
        Explorer.Exploration one = Explorer.explore(model, EXAMPLE, ACCURACY, Budget.parameters(4 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3 + 48 + 1));
        assertInstanceOf(Linear.class, one.model().namedModules().get("0"));
        assertInstanceOf(QuadraticLayer.class, one.model().namedModules().get("4"));
        // The input model is untouched; with layers 0 and 2 masked it computes what the mixed model computes.
        assertInstanceOf(QuadraticLayer.class, model.namedModules().get("0"));
        ((QuadraticLayer) model.namedModules().get("0")).quadraticTermMasked(true);
        ((QuadraticLayer) model.namedModules().get("2")).quadraticTermMasked(true);
        Tensor x = SummaryTest.input(new int[] {7, 4});
        assertEquals(0f, ConverterTest.maxAbsDiff(ConverterTest.eval(model.eval(), x), ConverterTest.eval(one.model().eval(), x)), 1e-6f);
    }

    @Test
    void macAndMemoryBudgetsHoldOnTheMixedModel() {
        Module model = quadraticMlp();
        Summary q = Summary.of(model, EXAMPLE);
        long macsPerSample = q.totalMacs() / 5;
        Explorer.Exploration byMacs = Explorer.explore(model, EXAMPLE, ACCURACY, Budget.macs(macsPerSample * 3 / 4));
        assertTrue(byMacs.cost() <= macsPerSample * 3 / 4);
        assertEquals(Summary.of(byMacs.model(), EXAMPLE).totalMacs() / 5, byMacs.cost());
        assertFalse(byMacs.quadraticLayers().isEmpty());

        long memory = q.predictedTrainingBytes(64);
        Explorer.Exploration byMemory = Explorer.explore(model, EXAMPLE, ACCURACY, Budget.trainingMemory(memory * 9 / 10, 64));
        assertTrue(byMemory.cost() <= memory * 9 / 10, byMemory.toString());
        assertEquals(Summary.of(byMemory.model(), EXAMPLE).predictedTrainingBytes(64), byMemory.cost());
    }

    @Test
    void aFirstOrderModelHasNothingToExplore() {
        Module mlp = new Sequential(new Linear(4, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LayerImportance.score(mlp, EXAMPLE, ACCURACY));
        assertTrue(e.getMessage().contains("no quadratic layer"), e.getMessage());
    }

    @Test
    void mixedModelOnRingsStaysWithinBudgetBesideFirstOrderAndQuadratic() {
        ArrayDataset train = SyntheticData.rings(800, 1);
        ArrayDataset validation = SyntheticData.rings(400, 2);
        DataLoader trainLoader = new DataLoader(train, 32, true, 3);
        DataLoader validationLoader = new DataLoader(validation, 200, false, 0);
        Trainer trainer = new Trainer(Trainer.Config.sgd(0.05f, 0.9f));

        Init.manualSeed(5);
        Module firstOrder = new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 8), new ReLU(), new Linear(8, 2));
        Module quadratic = Converter.convert(firstOrder, ConversionPolicy.all()).model();
        trainer.fit(firstOrder, trainLoader, null, 30);
        trainer.fit(quadratic, trainLoader, null, 30);
        double firstOrderAcc = trainer.evaluate(firstOrder, validationLoader).accuracy();
        double quadraticAcc = trainer.evaluate(quadratic, validationLoader).accuracy();

        long firstOrderParams = firstOrder.parameterCount();
        long limit = (firstOrderParams + quadratic.parameterCount()) / 2;
        Explorer.Exploration ex = Explorer.explore(quadratic, validationLoader, Budget.parameters(limit));
        Module mixed = ex.model();
        trainer.fit(mixed, trainLoader, null, 5);
        double mixedAcc = trainer.evaluate(mixed, validationLoader).accuracy();

        System.out.println(ex.scores());
        System.out.println(ex);
        System.out.printf("rings validation accuracy: first-order %.4f (%d params), all-quadratic %.4f (%d params), mixed %.4f (%d params,"
                + " budget %d; quadratic layers %s)%n", firstOrderAcc, firstOrderParams, quadraticAcc, quadratic.parameterCount(), mixedAcc,
                mixed.parameterCount(), limit, ex.quadraticLayers());
        assertTrue(mixed.parameterCount() <= limit);
        assertEquals(mixed.parameterCount(), ex.cost());
    }
}
