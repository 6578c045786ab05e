package org.quadralib.autobuild;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.quadralib.core.F;
import org.quadralib.core.GradMode;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.optim.ParamGroup;
import org.quadralib.core.optim.SGD;
import org.quadralib.layers.AdaptiveAvgPool2d;
import org.quadralib.layers.AvgPool2d;
import org.quadralib.layers.BatchNorm1d;
import org.quadralib.layers.BatchNorm2d;
import org.quadralib.layers.Conv2d;
import org.quadralib.layers.Dropout;
import org.quadralib.layers.Flatten;
import org.quadralib.layers.GELU;
import org.quadralib.layers.Identity;
import org.quadralib.layers.Init;
import org.quadralib.layers.LeakyReLU;
import org.quadralib.layers.Linear;
import org.quadralib.layers.MaxPool2d;
import org.quadralib.layers.Module;
import org.quadralib.layers.NamedSequential;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.Parameter;
import org.quadralib.layers.QuadraticConv2d;
import org.quadralib.layers.QuadraticLayer;
import org.quadralib.layers.QuadraticLinear;
import org.quadralib.layers.QuadraticOptions.BackpropMode;
import org.quadralib.layers.QuadraticOptions;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Residual;
import org.quadralib.layers.Sequential;
import org.quadralib.layers.Sigmoid;
import org.quadralib.layers.Tanh;
import org.quadralib.layers.zoo.Zoo;

class ConverterTest {

    private static final float TOLERANCE = 1e-5f;

    static Module zoo(String name, int channels, int size) {
        Init.manualSeed(11);
        return Zoo.build(name, channels, size, 10);
    }

    static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new Rng(seed), shape);
    }

    @SuppressWarnings("try") // the grad-mode scope is used for what it does on open and close
    static Tensor eval(Module m, Tensor x) {
        try (GradMode.Scope g = GradMode.noGrad()) {
            return m.forward(x);
        }
    }

    static float maxAbsDiff(Tensor a, Tensor b) {
        assertArrayEquals(a.shape(), b.shape());
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        float d = 0;
        for (int i = 0; i < x.length; i++) {
            d = Math.max(d, Math.abs(x[i] - y[i]));
        }
        return d;
    }

    /** Asserts the converted model computes the original's outputs, in evaluation and then in training mode. */
    static void assertSameFunction(String what, Module original, Module converted, Tensor x) {
        Module reference = ModuleCopier.copy(original);
        assertSameFunction(what, eval(reference.eval(), x), eval(reference.train(true), x), converted, x);
    }

    /** Asserts {@code converted} gives {@code evalOut} in evaluation and then {@code trainOut} in training mode. */
    static void assertSameFunction(String what, Tensor evalOut, Tensor trainOut, Module converted, Tensor x) {
        float evalDiff = maxAbsDiff(evalOut, eval(converted.eval(), x));
        assertTrue(evalDiff <= TOLERANCE, what + ": evaluation outputs differ by " + evalDiff);
        float trainDiff = maxAbsDiff(trainOut, eval(converted.train(true), x));
        assertTrue(trainDiff <= TOLERANCE, what + ": training outputs differ by " + trainDiff);
    }

    static Stream<String> zooNames() {
        return Zoo.NAMES.stream();
    }

    @ParameterizedTest
    @MethodSource("zooNames")
    void convertedZooModelComputesWhatTheOriginalDid(String name) {
        Module original = zoo(name, 3, 8);
        Tensor x = randn(3, 2, 3, 8, 8);
        // The training-mode pass moves batch-norm statistics, so it runs on a copy: every conversion starts from the same model.
        Tensor evalOut = eval(original.eval(), x);
        Tensor trainOut = eval(ModuleCopier.copy(original).train(true), x);
        for (NeuronType type : new NeuronType[] {NeuronType.PROPOSED, NeuronType.T2_4, NeuronType.QRES, NeuronType.T1}) {
            ConversionResult r = Converter.convert(original, ConversionPolicy.all().withNeuronType(type));
            ConversionReport report = r.report();
            assertTrue(report.preservesFunction(), report.toString());
            Map<String, Module> after = r.model().namedModules();
            for (ConversionReport.Entry e : report.entries()) {
                if (type == NeuronType.T1 && e.action() == ConversionReport.Action.UNSUPPORTED) {
                    // Only the quadratic form's size limit may stop a T1 conversion.
                    assertTrue(e.note().contains("MAX_QUADRATIC_FORM_WEIGHTS"), e.toString());
                    continue;
                }
                assertEquals(ConversionReport.Action.CONVERTED, e.action(), e.toString());
                assertTrue(e.note().startsWith("function preserved"), e.note());
                QuadraticLayer q = assertInstanceOf(QuadraticLayer.class, after.get(e.path()));
                assertEquals(type, q.neuronType());
                assertEquals(e.paramsAfter(), q.parameterCount());
            }
            assertFalse(report.entries(ConversionReport.Action.CONVERTED).isEmpty(), report.toString());
            assertSameFunction(name + " " + type, evalOut, trainOut, r.model(), x);
        }
    }

    @ParameterizedTest
    @EnumSource(value = NeuronType.class, names = {"PROPOSED", "QRES"})
    void branchNormKeepsTheFunctionForProductTypes(NeuronType type) {
        Module original = zoo("resnet14", 3, 16);
        ConversionResult r = Converter.convert(original, ConversionPolicy.all().withNeuronType(type).withBranchNorm(true));
        assertTrue(r.report().preservesFunction(), r.report().toString());
        QuadraticLayer q = (QuadraticLayer) r.model().namedModules().get("layer2.0.main.0");
        assertEquals(2, q.branchNorms().size());
        assertSameFunction("resnet14 " + type + " with branch norm", original, r.model(), randn(4, 4, 3, 16, 16));
    }

    @Test
    void t24WithBranchNormCannotStartLinearAndSaysSo() {
        Module original = zoo("lenet5", 1, 28);
        ConversionReport report = Converter.convert(original, ConversionPolicy.all().withNeuronType(NeuronType.T2_4).withBranchNorm(true))
                .report();
        assertEquals(5, report.entries(ConversionReport.Action.UNSUPPORTED).size(), report.toString());
        assertTrue(report.entry("features.0").note().contains("b_g = 1"), report.entry("features.0").note());
    }

    @ParameterizedTest
    @EnumSource(value = NeuronType.class, names = {"T2", "T3", "T4"})
    void typesWithoutLinearTermSayPlainlyTheFunctionChanges(NeuronType type) {
        Module original = zoo("lenet5", 1, 28);
        ConversionResult r = Converter.convert(original, ConversionPolicy.all().withNeuronType(type));
        ConversionReport report = r.report();
        assertFalse(report.preservesFunction());
        assertEquals(5, report.entries(ConversionReport.Action.CONVERTED).size());
        for (ConversionReport.Entry e : report.entries()) {
            assertFalse(e.preservesFunction());
            assertTrue(e.note().startsWith("does NOT preserve the function: " + type.name()), e.note());
        }
        assertTrue(report.toString().contains("does NOT compute what the original did"), report.toString());
        Tensor x = randn(5, 2, 1, 28, 28);
        assertTrue(maxAbsDiff(eval(original.eval(), x), eval(r.model().eval(), x)) > 1e-3f);
    }

    @Test
    void freshInitialisationIsReportedAsNotPreserving() {
        ConversionReport report = Converter.convert(zoo("lenet5", 1, 28), ConversionPolicy.all().withLinearStart(false)).report();
        assertFalse(report.preservesFunction());
        assertTrue(report.entry("classifier.4").note().contains("fresh initialisation"), report.entry("classifier.4").note());
    }

    @Test
    void originalIsUntouchedWhileTheConvertedModelTrains() {
        Module original = zoo("resnet14", 3, 8);
        original.eval();
        Tensor x = randn(6, 4, 3, 8, 8);
        Tensor before = eval(original, x);
        Map<String, float[]> state = new LinkedHashMap<>();
        original.stateDict().forEach((k, v) -> state.put(k, v.toFloatArray()));

        ConversionResult r = Converter.convert(original, ConversionPolicy.all());
        Module converted = r.model().train(true);
        Map<Object, Boolean> originalStorages = new IdentityHashMap<>();
        original.stateDict().values().forEach(t -> originalStorages.put(t.storage(), true));
        converted.stateDict().forEach((k, v) -> assertFalse(originalStorages.containsKey(v.storage()), k + " shares storage"));

        SGD sgd = new SGD(r.parameterGroups(0.1f, 0.1f, 0f, 0f), 0.9f, false);
        int[] labels = {1, 2, 3, 4};
        for (int step = 0; step < 2; step++) {
            converted.zeroGrad();
            F.crossEntropy(converted.forward(x), labels).backward();
            sgd.step();
        }
        assertTrue(maxAbsDiff(before, eval(converted.eval(), x)) > 1e-4f, "the converted model did not train");
        original.stateDict().forEach((k, v) -> assertArrayEquals(state.get(k), v.toFloatArray(), k));
        assertEquals(0f, maxAbsDiff(before, eval(original, x)));
        assertFalse(original.isTraining());
        assertInstanceOf(Conv2d.class, original.namedModules().get("conv1"));
    }

    @Test
    void quadraticGroupHoldsExactlyTheQuadraticTermWeights() {
        ConversionResult r = Converter.convert(zoo("lenet5", 1, 28), ConversionPolicy.all());
        List<ParamGroup> groups = r.parameterGroups(0.1f, 0.1f, 5e-4f, 0f);
        assertEquals(List.of("linear", "quadratic"), groups.stream().map(ParamGroup::name).toList());
        List<Tensor> expected = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : r.model().namedParameters().entrySet()) {
            if (e.getKey().endsWith("weight_a") || e.getKey().endsWith("weight_b")) {
                expected.add(e.getValue().tensor());
            }
        }
        assertEquals(10, expected.size());
        List<Tensor> quadratic = groups.get(1).params();
        assertEquals(expected.size(), quadratic.size());
        for (int i = 0; i < expected.size(); i++) {
            assertSame(expected.get(i), quadratic.get(i));
        }
        assertEquals(0.1f * 0.1f, groups.get(1).lr(), 1e-9f);
    }

    @Test
    void policyScopesAndSkips() {
        Module model = zoo("resnet14", 3, 8);
        ConversionReport conv = Converter.convert(model, ConversionPolicy.convolutions()).report();
        assertEquals(ConversionReport.Action.NOT_SELECTED, conv.entry("fc").action());
        assertTrue(conv.entry("fc").note().contains("outside scope CONVOLUTIONS"));
        assertEquals(ConversionReport.Action.CONVERTED, conv.entry("conv1").action());

        ConversionReport lin = Converter.convert(model, ConversionPolicy.linears()).report();
        assertEquals(List.of("fc"), lin.entries(ConversionReport.Action.CONVERTED).stream().map(ConversionReport.Entry::path).toList());

        ConversionReport ends = Converter.convert(model, ConversionPolicy.all().skippingFirst().skippingLast()).report();
        assertEquals(ConversionReport.Action.NOT_SELECTED, ends.entry("conv1").action());
        assertTrue(ends.entry("conv1").note().contains("skip first"));
        assertEquals(ConversionReport.Action.NOT_SELECTED, ends.entry("fc").action());
        assertTrue(ends.entry("fc").note().contains("skip last"));
        assertEquals(ends.entries().size() - 2, ends.entries(ConversionReport.Action.CONVERTED).size());

        // Skipping is relative to the scope: the last convolution, not the classifier.
        ConversionReport convEnds = Converter.convert(model, ConversionPolicy.convolutions().skippingLast()).report();
        assertEquals(ConversionReport.Action.NOT_SELECTED, convEnds.entry("layer3.1.main.3").action());
        assertTrue(convEnds.entry("layer3.1.main.3").note().contains("skip last"));
    }

    @Test
    void policyNamesIndicesPredicatesAndPerLayerTypes() {
        Module model = zoo("resnet14", 3, 8);
        ConversionReport glob = Converter.convert(model, ConversionPolicy.all().matching("layer2.*")).report();
        assertEquals(List.of("layer2.0.main.0", "layer2.0.main.3", "layer2.0.shortcut.0", "layer2.1.main.0", "layer2.1.main.3"),
                converted(glob));
        assertTrue(glob.entry("layer1.0.main.0").note().contains("does not match 'layer2.*'"));

        ConversionReport idx = Converter.convert(model, ConversionPolicy.all().atIndices(0, 3)).report();
        assertEquals(List.of("conv1", "layer1.1.main.0"), converted(idx));
        assertEquals(0, idx.entry("conv1").index());

        ConversionReport pointwise = Converter.convert(model,
                ConversionPolicy.all().where((path, m) -> m instanceof Conv2d c && c.config().kernelH() == 1)).report();
        assertEquals(List.of("layer2.0.shortcut.0", "layer3.0.shortcut.0"), converted(pointwise));

        ConversionResult mixed = Converter.convert(model,
                ConversionPolicy.all().withNeuronTypes(path -> path.startsWith("layer3") ? NeuronType.T4 : NeuronType.PROPOSED)
                        .withMode(BackpropMode.STANDARD));
        QuadraticLayer deep = (QuadraticLayer) mixed.model().namedModules().get("layer3.0.main.0");
        QuadraticLayer shallow = (QuadraticLayer) mixed.model().namedModules().get("layer1.0.main.0");
        assertEquals(NeuronType.T4, deep.neuronType());
        assertEquals(NeuronType.PROPOSED, shallow.neuronType());
        assertEquals(BackpropMode.STANDARD, shallow.options().mode());
        assertFalse(mixed.report().entry("layer3.0.main.0").preservesFunction());
        assertTrue(mixed.report().entry("layer1.0.main.0").preservesFunction());
        assertThrows(NullPointerException.class,
                () -> Converter.convert(model, ConversionPolicy.all().withNeuronTypes(path -> null)));
    }

    private static List<String> converted(ConversionReport r) {
        return r.entries(ConversionReport.Action.CONVERTED).stream().map(ConversionReport.Entry::path).toList();
    }

    @Test
    void convertingAQuadraticModelIsANoOp() {
        Module model = zoo("lenet5", 1, 28);
        ConversionResult once = Converter.convert(model, ConversionPolicy.all().skippingLast());
        ConversionResult twice = Converter.convert(once.model(), ConversionPolicy.all().withNeuronType(NeuronType.T4));
        ConversionReport r = twice.report();
        assertEquals(4, r.entries(ConversionReport.Action.ALREADY_QUADRATIC).size());
        assertTrue(r.entry("features.0").note().contains("already quadratic (PROPOSED)"), r.entry("features.0").note());
        assertEquals(r.entry("features.0").paramsBefore(), r.entry("features.0").paramsAfter());
        assertEquals(ConversionReport.Action.CONVERTED, r.entry("classifier.4").action());
        assertEquals(NeuronType.PROPOSED, ((QuadraticLayer) twice.model().namedModules().get("features.0")).neuronType());
        Map<String, Tensor> a = once.model().stateDict();
        twice.model().stateDict().forEach((k, v) -> {
            if (k.startsWith("features.0.")) {
                assertArrayEquals(a.get(k).toFloatArray(), v.toFloatArray(), k);
            }
        });
    }

    @Test
    void reportTableListsEveryWeightLayer() {
        ConversionReport r = Converter.convert(zoo("lenet5", 1, 28), ConversionPolicy.all().skippingFirst()).report();
        String table = r.toString();
        assertTrue(table.contains("Conversion (scope=ALL, skip first, mode=HYBRID, linear start)"), table);
        assertTrue(table.contains("features.3"), table);
        assertTrue(table.contains("Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1)) -> QuadraticConv2d(6, 16"), table);
        assertTrue(table.contains("NOT_SELECTED"), table);
        assertTrue(table.contains("Converted 4 of 5 weight layers"), table);
        assertEquals(61_706, r.modelParamsBefore());
        assertEquals(r.modelParamsBefore() + 2 * (2416 - 16 + 48_120 - 120 + 10_164 - 84 + 850 - 10), r.modelParamsAfter());
    }

    @Test
    void t1BeyondTheSizeLimitIsListedWithTheReason() {
        Init.manualSeed(3);
        Module mlp = Zoo.mlp(784, new int[] {32}, 10);
        ConversionReport r = Converter.convert(mlp, ConversionPolicy.all().withNeuronType(NeuronType.T1)).report();
        ConversionReport.Entry big = r.entry("1");
        assertEquals(ConversionReport.Action.UNSUPPORTED, big.action());
        assertTrue(big.note().contains("cannot convert to T1") && big.note().contains("784"), big.note());
        assertEquals(ConversionReport.Action.CONVERTED, r.entry("3").action());
    }

    // ------------------------------------------------------------------ user-defined modules

    /** A user container that follows replacement by looking its children up. */
    static final class TwoPath extends Module {
        TwoPath(int width) {
            registerModule("left", new Sequential(new Linear(width, width), new ReLU()));
            registerModule("right", new Linear(width, width));
        }

        @Override
        protected Tensor compute(Tensor x) {
            return children().get("left").forward(x).add(children().get("right").forward(x));
        }
    }

    /** A user layer type with its own weight: not convertible. */
    static final class Scale extends Module {
        private final Tensor gain;

        Scale(int width) {
            gain = registerParameter("gain", parameterTensor(width));
            Init.constant(gain, 1.5f);
        }

        @Override
        protected Tensor compute(Tensor x) {
            return x.mul(gain);
        }
    }

    /** A user container that keeps a child in a typed field and ignores replacement. */
    static final class Stubborn extends Module {
        private final Linear inner;

        Stubborn() {
            inner = registerModule("inner", new Linear(4, 4));
        }

        @Override
        protected Tensor compute(Tensor x) {
            return inner.forward(x);
        }
    }

    /** A user model nesting user containers inside library ones. */
    static final class Net extends Module {
        Net() {
            registerModule("stem", new Linear(3, 4));
            registerModule("body", new Sequential(new TwoPath(4), new Sequential(new TwoPath(4)), new Scale(4)));
            registerModule("stubborn", new Stubborn());
            registerModule("head", new Linear(4, 2));
        }

        @Override
        protected Tensor compute(Tensor x) {
            Tensor y = x;
            for (Module m : children().values()) {
                y = m.forward(y);
            }
            return y;
        }
    }

    @Test
    void userContainersAreWalkedToAnyDepthAndUnconvertibleLayersListed() {
        ModuleCopier.register(TwoPath.class, (m, copyChild) -> new TwoPath(4));
        Init.manualSeed(4);
        Net net = new Net();
        ConversionResult r = Converter.convert(net, ConversionPolicy.all());
        ConversionReport report = r.report();
        assertEquals(List.of("stem", "body.0.left.0", "body.0.right", "body.1.0.left.0", "body.1.0.right", "head"), converted(report));
        ConversionReport.Entry scale = report.entry("body.2");
        assertEquals(ConversionReport.Action.UNSUPPORTED, scale.action());
        assertTrue(scale.note().contains("Scale is not a Linear or Conv2d layer"), scale.note());
        ConversionReport.Entry stubborn = report.entry("stubborn.inner");
        assertEquals(ConversionReport.Action.UNSUPPORTED, stubborn.action());
        assertTrue(stubborn.note().contains("Stubborn.inner") && stubborn.note().contains("onChildReplaced"), stubborn.note());
        assertInstanceOf(QuadraticLinear.class, r.model().namedModules().get("body.1.0.left.0"));
        assertInstanceOf(Linear.class, r.model().namedModules().get("stubborn.inner"));
        assertSameFunction("user model", net, r.model(), randn(9, 5, 3));
    }

    /** A user container without a no-argument constructor. */
    static final class Wide extends Module {
        Wide(int width) {
            registerModule("fc", new Linear(width, width));
        }

        @Override
        protected Tensor compute(Tensor x) {
            return children().get("fc").forward(x);
        }
    }

    @Test
    void aContainerThatCannotBeCopiedFailsWithTheWayOut() {
        Module model = new Sequential(new Wide(3), new ReLU());
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Converter.convert(model, ConversionPolicy.all()));
        assertTrue(e.getMessage().contains("Wide '0'") && e.getMessage().contains("ModuleCopier.register(Wide.class"), e.getMessage());
    }

    @Test
    void aModelThatIsOneLayerBecomesTheQuadraticLayer() {
        Init.manualSeed(7);
        Linear single = new Linear(4, 3);
        ConversionResult r = Converter.convert(single, ConversionPolicy.all());
        assertInstanceOf(QuadraticLinear.class, r.model());
        assertEquals("", r.report().entries().get(0).path());
        assertSameFunction("single layer", single, r.model(), randn(12, 5, 4));
    }

    @Test
    void everyLibraryLayerTypeCopies() {
        Init.manualSeed(8);
        Module all = new NamedSequential()
                .add("linear", new Linear(3, 4, false))
                .add("conv", new Conv2d(Conv2d.Config.of(2, 4, 3, 2, 1, 1, 2, true)))
                .add("bn1", new BatchNorm1d(4, 1e-3f, 0.2f, false))
                .add("bn2", new BatchNorm2d(4))
                .add("drop", new Dropout(0.3f))
                .add("flat", new Flatten(2, 3))
                .add("max", new MaxPool2d(3, 2, 1))
                .add("avg", new AvgPool2d(2, 3, 1, 2, 1, 0))
                .add("adaptive", new AdaptiveAvgPool2d(2, 3))
                .add("leaky", new LeakyReLU(0.2f))
                .add("acts", new Sequential(new ReLU(), new GELU(), new Sigmoid(), new Tanh(), new Identity()))
                .add("res", new Residual(new Sequential(new Linear(4, 4)), new Identity(), null))
                .add("qlin", new QuadraticLinear(4, 4, NeuronType.QRES, QuadraticOptions.DEFAULT.withBranchNorm(true)))
                .add("qconv", new QuadraticConv2d(4, 4, 3, 1, 1, NeuronType.T1));
        all.namedModules().get("bn2").train(true);
        ((BatchNorm2d) all.namedModules().get("bn2")).runningMean().copyFrom(randn(13, 4));
        Module copy = ModuleCopier.copy(all);
        assertEquals(all.toString(), copy.toString());
        Map<String, Tensor> a = all.stateDict();
        Map<String, Tensor> c = copy.stateDict();
        assertEquals(a.keySet(), c.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).toFloatArray(), c.get(k).toFloatArray(), k);
            assertNotSame(a.get(k).storage(), c.get(k).storage(), k);
        }
        Map<String, Module> from = all.namedModules();
        copy.namedModules().forEach((path, m) -> {
            assertEquals(from.get(path).getClass(), m.getClass(), path);
            assertNotSame(from.get(path), m, path);
            assertEquals(path, m.path());
        });
    }

    @Test
    void copiesKeepModesMasksAndDropoutStreams() {
        Init.manualSeed(6);
        Module q = new Sequential(new QuadraticConv2d(2, 3, 3, 1, 1, NeuronType.PROPOSED), new ReLU(),
                new Dropout(0.5f));
        ((QuadraticLayer) q.children().get("0")).quadraticTermMasked(true);
        q.train(true);
        q.children().get("0").eval();
        Module c = ModuleCopier.copy(q);
        assertNotSame(q.children().get("0"), c.children().get("0"));
        assertTrue(((QuadraticLayer) c.children().get("0")).quadraticTermMasked());
        assertFalse(c.children().get("0").isTraining());
        assertTrue(c.children().get("2").isTraining());
        Tensor x = randn(10, 2, 2, 5, 5);
        assertEquals(0f, maxAbsDiff(eval(q, x), eval(c, x)));
    }
}
