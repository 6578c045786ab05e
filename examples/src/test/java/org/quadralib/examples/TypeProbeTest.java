package org.quadralib.examples;

import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.quadralib.autobuild.Converter;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.Dataset;
import org.quadralib.core.data.FashionMnist;
import org.quadralib.core.Parallel;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticLayer;
import org.quadralib.layers.train.History;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.zoo.Zoo;

class TypeProbeTest {
    @Test
    void probe() throws Exception {
        Parallel.setThreads(2);
        Dataset train = new FirstSamples(FashionMnist.fromClasspath(Explore.SAMPLE, true), 4000);
        Dataset test = new FirstSamples(FashionMnist.fromClasspath(Explore.SAMPLE, false), 500);
        String types = System.getProperty("probe.types", "T2,T3,T4,PROPOSED");
        for (String spec : types.split(",")) {
            String[] parts = spec.split(":");
            String name = parts[0];
            NeuronType type = NeuronType.valueOf(name);
            float scale = Float.parseFloat(parts.length > 1 ? parts[1] : "1");
            float qlr = Float.parseFloat(parts.length > 2 ? parts[2] : "0.1");
            String mode = parts.length > 3 ? parts[3] : "";
            Init.manualSeed(1);
            Module model = mode.equals("post") ? Zoo.lenet5(1, 28, 10, new org.quadralib.layers.zoo.LayerFactory() {
                public Module linear(String role, int in, int out, boolean bias) {
                    return new org.quadralib.layers.Sequential().add(new org.quadralib.layers.QuadraticLinear(in, out, type,
                            org.quadralib.layers.QuadraticOptions.DEFAULT)).add(new org.quadralib.layers.BatchNorm1d(out));
                }
                public Module conv2d(String role, org.quadralib.layers.Conv2d.Config c) {
                    return new org.quadralib.layers.Sequential().add(new org.quadralib.layers.QuadraticConv2d(c, type,
                            org.quadralib.layers.QuadraticOptions.DEFAULT)).add(new org.quadralib.layers.BatchNorm2d(c.outChannels()));
                }
            }) : Converter.convert(Zoo.build(System.getProperty("probe.model", "lenet5"), 1, 28, 10),
                    ConvertOptions.DEFAULT.policy(type).withBranchNorm(mode.startsWith("bn"))).model();
            if (mode.startsWith("bn")) {
                float g1 = mode.equals("bn0") ? 0f : 0.5f;
                for (Module m : model.namedModules().values()) {
                    if (m instanceof QuadraticLayer q) {
                        var norms = q.branchNorms();
                        org.quadralib.layers.BatchNorm last = norms.get(norms.size() - 1);
                        last.weight().copyFrom(Tensor.full(norms.size() == 1 ? 0.5f : g1, last.weight().shape()));
                        last.bias().copyFrom(Tensor.full(1f, last.bias().shape()));
                    }
                }
            }
            for (Module m : model.namedModules().values()) {
                if (m instanceof QuadraticLayer q) {
                    for (Map.Entry<String, Tensor> e : q.quadraticTermParameters().entrySet()) {
                        if (e.getKey().startsWith("weight")) {
                            Tensor w = e.getValue();
                            w.copyFrom(w.mul(scale));
                        }
                    }
                }
            }

            DataLoader tl = new DataLoader(train, DataLoader.Options.defaults().withBatchSize(64).withShuffle(true).withSeed(1)
                    .withNormalization(new float[] {Explore.MEAN}, new float[] {Explore.STD}));
            DataLoader te = new DataLoader(test, DataLoader.Options.defaults().withBatchSize(100)
                    .withNormalization(new float[] {Explore.MEAN}, new float[] {Explore.STD}));
            if (mode.equals("lsuv")) {
                var itc = te.iterator();
                Tensor xb = itc.next().inputs();
                for (Module m : model.namedModules().values()) {
                    if (m instanceof QuadraticLayer q) {
                        for (int rep = 0; rep < 3; rep++) {
                            double[] r = new double[1];
                            var hh = q.addPostHook((mod, in, out) -> { r[0] = rms(out); return null; });
                            try (var ng = org.quadralib.core.GradMode.noGrad()) { model.forward(xb); }
                            hh.close();
                            int deg = q.quadraticTermParameters().keySet().stream().filter(k -> k.startsWith("weight")).count() > 1 || type == NeuronType.T3 ? 2 : 1;
                            float f = (float) Math.pow(1 / r[0], 1.0 / deg);
                            for (Map.Entry<String, Tensor> e : q.quadraticTermParameters().entrySet()) {
                                if (e.getKey().startsWith("weight")) { e.getValue().copyFrom(e.getValue().mul(f)); }
                            }
                        }
                    }
                }
            }
            // activation magnitudes at init
            StringBuilder sb = new StringBuilder(name + " init rms:");
            var h = model.addPostHookEverywhere((path, m) -> m instanceof QuadraticLayer ? (mod, in, out) -> {
                sb.append(String.format(Locale.ROOT, " %s in=%.3g out=%.3g;", path, rms(in), rms(out)));
                return null;
            } : (mod, in, out) -> null);
            var it = te.iterator();
            var b = it.next();
            Tensor y = model.forward(b.inputs());
            h.close();
            System.out.println(sb);
            long t0 = System.nanoTime();
            History hist = new Trainer(new Trainer.Config(m -> org.quadralib.layers.QuadraticOptimizers.sgd(m, 0.01f, 0.9f, qlr),
                    org.quadralib.layers.train.Loss.CROSS_ENTROPY, null, null, 0, 0).withMaxSteps(Long.getLong("probe.steps", 300))).fit(model, tl, te, Integer.getInteger("probe.epochs", 5));
            System.out.printf(Locale.ROOT, "%s scale %s qlr %s mode %s: train loss %.3f acc %.3f, test acc %.3f  (%.1f s)%n", name, scale, qlr, mode, hist.last().trainLoss(),
                    hist.last().trainAccuracy(), hist.last().validationAccuracy(), (System.nanoTime() - t0) / 1e9);
        }
    }

    static double rms(Tensor t) {
        float[] a = t.toFloatArray();
        double s = 0;
        for (float v : a) s += v * v;
        return Math.sqrt(s / a.length);
    }
}
