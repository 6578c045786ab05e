package org.quadralib.layers.zoo;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import org.quadralib.layers.AdaptiveAvgPool2d;
import org.quadralib.layers.BatchNorm2d;
import org.quadralib.layers.Conv2d;
import org.quadralib.layers.Flatten;
import org.quadralib.layers.Identity;
import org.quadralib.layers.MaxPool2d;
import org.quadralib.layers.Module;
import org.quadralib.layers.NamedSequential;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Residual;
import org.quadralib.layers.Sequential;

/**
 * Standard image classifiers, built for a given input ({@code [N, inChannels, imageSize, imageSize]}) and class
 * count, with the weight layers made by a {@link LayerFactory} ({@link LayerFactory#FIRST_ORDER} when none is
 * given). Every model returns logits {@code [N, classes]}; parameter names, layouts and counts equal those of the
 * PyTorch definitions in {@code goldens/zoo.py}, so their state dicts load into each other.
 *
 * <p>Small images ({@code imageSize ≤ 64}, e.g. 28 px Fashion-MNIST and 32 px CIFAR) get the usual CIFAR
 * adaptations described on each builder. Layers are initialised from {@link org.quadralib.layers.Init}'s
 * generator, so {@code Init.manualSeed(s)} before building gives the same model every time.
 */
public final class Zoo {

    /** The pooling marker in a VGG configuration: a 2×2 max-pool of stride 2. */
    public static final int M = -1;

    /** The names {@link #build} accepts. */
    public static final List<String> NAMES = List.of("mlp", "lenet5", "vgg7", "vgg11", "vgg13", "vgg16", "resnet14", "resnet20",
            "resnet32", "resnet18", "mobilenet");

    /** Largest image size that gets the small-image (CIFAR) stems of ResNet-18 and MobileNet. */
    public static final int SMALL_IMAGE = 64;

    private static final int[] MLP_HIDDEN = {256, 128};

    private Zoo() {
    }

    // ------------------------------------------------------------------ registry

    /** {@link #build(String, int, int, int, LayerFactory)} with first-order layers. */
    public static Module build(String name, int inChannels, int imageSize, int classes) {
        return build(name, inChannels, imageSize, classes, LayerFactory.FIRST_ORDER);
    }

    /**
     * Builds the model registered under {@code name} (one of {@link #NAMES}): {@code mlp} is
     * {@link #mlp mlp(inChannels·imageSize², [256, 128], classes)}, {@code vggN} is {@link #vgg(String, int, int, int,
     * LayerFactory) vgg("vggN", ...)}, {@code resnetN} for N in 14, 20, 32 is {@link #resnet(int, int, int, int,
     * LayerFactory) resnet(N, ...)}, {@code mobilenet} is {@link #mobilenetV1(int, int, int, LayerFactory)} at width 1.
     *
     * @throws IllegalArgumentException if the name is unknown (the message lists the valid ones) or a size is not
     *     positive
     */
    public static Module build(String name, int inChannels, int imageSize, int classes, LayerFactory factory) {
        return build(name, inChannels, imageSize, classes, 1f, factory);
    }

    /**
     * {@link #build(String, int, int, int, LayerFactory)} with every hidden channel and feature count multiplied by
     * {@code width} (rounded to the nearest whole number, at least 1): LeNet-5's 6, 16, 120, 84; the MLP's hidden
     * sizes; every VGG channel count; the ResNets' base width (and so every stage); MobileNet's α. The input
     * channels and the classes are not scaled. {@code width = 1} is the model of {@link #build(String, int, int, int,
     * LayerFactory)}; at other widths parameter names stay the same, only their shapes change.
     *
     * @param width the width multiplier, positive and finite
     * @throws IllegalArgumentException if the name is unknown, a size is not positive or the width is not positive
     *     and finite
     */
    public static Module build(String name, int inChannels, int imageSize, int classes, float width, LayerFactory factory) {
        if (!(width > 0) || Float.isInfinite(width)) {
            throw new IllegalArgumentException("Zoo: width multiplier of '" + name + "' must be positive and finite, got " + width);
        }
        return switch (String.valueOf(name)) {
            case "mlp" -> {
                checkInput("mlp", inChannels, imageSize, classes);
                yield mlp(inChannels * imageSize * imageSize, scaled(MLP_HIDDEN, width), classes, factory);
            }
            case "lenet5" -> lenet5(inChannels, imageSize, classes, width, factory);
            case "vgg7", "vgg11", "vgg13", "vgg16" -> vgg(scaled(vggConfig(name), width), inChannels, imageSize, classes, factory);
            case "resnet14", "resnet20", "resnet32" -> resnet(Integer.parseInt(name.substring(6)), scaled(16, width), inChannels,
                    imageSize, classes, factory);
            case "resnet18" -> resnet18(inChannels, imageSize, classes, scaled(64, width), factory);
            case "mobilenet" -> mobilenetV1(inChannels, imageSize, classes, width, factory);
            default -> throw new IllegalArgumentException("Zoo: unknown model '" + name + "'; valid names: " + String.join(", ", NAMES));
        };
    }

    /** Each positive count times {@code width}, rounded, at least 1; {@link #M} markers kept. */
    private static int[] scaled(int[] counts, float width) {
        int[] out = new int[counts.length];
        for (int i = 0; i < counts.length; i++) {
            out[i] = counts[i] == M ? M : scaled(counts[i], width);
        }
        return out;
    }

    /** {@code max(1, round(count · width))}. */
    private static int scaled(int count, float width) {
        return Math.max(1, Math.round(count * width));
    }

    // ------------------------------------------------------------------ MLP

    /** {@link #mlp(int, int[], int, LayerFactory)} with first-order layers. */
    public static Sequential mlp(int inFeatures, int[] hidden, int classes) {
        return mlp(inFeatures, hidden, classes, LayerFactory.FIRST_ORDER);
    }

    /**
     * A multi-layer perceptron {@code Flatten, Linear(in, h1), ReLU, ..., Linear(h_k, classes)}; layers named by
     * index as in {@code nn.Sequential} ({@code 1.weight}, {@code 3.weight}, ...). Input {@code [N, ...]} with
     * {@code inFeatures} elements per sample.
     *
     * @throws IllegalArgumentException if a size is not positive
     */
    public static Sequential mlp(int inFeatures, int[] hidden, int classes, LayerFactory factory) {
        if (inFeatures <= 0 || classes <= 0 || Arrays.stream(hidden).anyMatch(h -> h <= 0)) {
            throw new IllegalArgumentException("Zoo.mlp: sizes must be positive, got in=" + inFeatures + ", hidden="
                    + Arrays.toString(hidden) + ", classes=" + classes);
        }
        Sequential net = new Sequential(new Flatten());
        int width = inFeatures;
        for (int h : hidden) {
            net.add(linear(factory, Integer.toString(net.size()), width, h));
            net.add(new ReLU());
            width = h;
        }
        net.add(linear(factory, Integer.toString(net.size()), width, classes));
        return net;
    }

    // ------------------------------------------------------------------ LeNet-5

    /** {@link #lenet5(int, int, int, LayerFactory)} with first-order layers. */
    public static NamedSequential lenet5(int inChannels, int imageSize, int classes) {
        return lenet5(inChannels, imageSize, classes, LayerFactory.FIRST_ORDER);
    }

    /**
     * LeNet-5 with ReLU and max-pooling: {@code features} = conv 5×5 → 6 (padding p), ReLU, max-pool 2, conv 5×5
     * 6 → 16, ReLU, max-pool 2; {@code flatten}; {@code classifier} = fc → 120, ReLU, 120 → 84, ReLU, 84 → classes.
     * The padding is {@code p = ⌈(32 − imageSize)/2⌉} for images under 32 px and 0 otherwise, so that both 28 px
     * (p = 2, the classic MNIST setting) and 32 px (p = 0) give the 16·5·5 = 400 features of the original.
     *
     * @throws IllegalArgumentException if a size is not positive
     */
    public static NamedSequential lenet5(int inChannels, int imageSize, int classes, LayerFactory factory) {
        return lenet5(inChannels, imageSize, classes, 1f, factory);
    }

    /**
     * {@link #lenet5(int, int, int, LayerFactory)} with the 6, 16, 120 and 84 channels and features multiplied by
     * {@code width} (rounded, at least 1).
     *
     * @throws IllegalArgumentException if a size is not positive or the width is not positive and finite
     */
    public static NamedSequential lenet5(int inChannels, int imageSize, int classes, float width, LayerFactory factory) {
        checkInput("lenet5", inChannels, imageSize, classes);
        if (!(width > 0) || Float.isInfinite(width)) {
            throw new IllegalArgumentException("Zoo.lenet5: width multiplier must be positive and finite, got " + width);
        }
        int c1 = scaled(6, width);
        int c2 = scaled(16, width);
        int f1 = scaled(120, width);
        int f2 = scaled(84, width);
        int pad = imageSize < 32 ? (32 - imageSize + 1) / 2 : 0;
        int side = ((imageSize + 2 * pad - 4) / 2 - 4) / 2;
        Sequential features = new Sequential();
        features.add(conv(factory, "features.0", Conv2d.Config.of(inChannels, c1, 5, 1, pad)));
        features.add(new ReLU());
        features.add(new MaxPool2d(2));
        features.add(conv(factory, "features.3", Conv2d.Config.of(c1, c2, 5, 1, 0)));
        features.add(new ReLU());
        features.add(new MaxPool2d(2));
        Sequential classifier = new Sequential();
        classifier.add(linear(factory, "classifier.0", c2 * side * side, f1));
        classifier.add(new ReLU());
        classifier.add(linear(factory, "classifier.2", f1, f2));
        classifier.add(new ReLU());
        classifier.add(linear(factory, "classifier.4", f2, classes));
        return new NamedSequential().add("features", features).add("flatten", new Flatten()).add("classifier", classifier);
    }

    // ------------------------------------------------------------------ VGG

    /**
     * The VGG configurations (output channels of each 3×3 conv, {@link #M} for a max-pool): {@code vgg7} =
     * [64, 64, M, 128, 128, M, 256, 256, M]; {@code vgg11}, {@code vgg13}, {@code vgg16} = configurations A, B, D of
     * Simonyan and Zisserman. With the single linear classifier the name counts the weight layers.
     *
     * @throws IllegalArgumentException naming the valid configurations if {@code name} is not one
     */
    public static int[] vggConfig(String name) {
        return switch (String.valueOf(name)) {
            case "vgg7" -> new int[] {64, 64, M, 128, 128, M, 256, 256, M};
            case "vgg11" -> new int[] {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
            case "vgg13" -> new int[] {64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
            case "vgg16" -> new int[] {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M};
            default -> throw new IllegalArgumentException("Zoo.vgg: unknown configuration '" + name
                    + "'; valid: vgg7, vgg11, vgg13, vgg16 (or pass the layer list)");
        };
    }

    /** {@link #vgg(String, int, int, int, LayerFactory)} with first-order layers. */
    public static NamedSequential vgg(String config, int inChannels, int imageSize, int classes) {
        return vgg(config, inChannels, imageSize, classes, LayerFactory.FIRST_ORDER);
    }

    /**
     * A named VGG configuration ({@link #vggConfig}); see {@link #vgg(int[], int, int, int, LayerFactory)}.
     *
     * @throws IllegalArgumentException if the configuration is unknown or a size is not positive
     */
    public static NamedSequential vgg(String config, int inChannels, int imageSize, int classes, LayerFactory factory) {
        return vgg(vggConfig(config), inChannels, imageSize, classes, factory);
    }

    /** {@link #vgg(int[], int, int, int, LayerFactory)} with first-order layers. */
    public static NamedSequential vgg(int[] config, int inChannels, int imageSize, int classes) {
        return vgg(config, inChannels, imageSize, classes, LayerFactory.FIRST_ORDER);
    }

    /**
     * A CIFAR-style VGG: {@code features} holds, for each channel count c of {@code config}, a 3×3 conv (padding 1,
     * with bias) → c, BatchNorm2d and ReLU, and for each {@link #M} a 2×2 max-pool of stride 2 (padded by 1 when the
     * side is odd, so 7 px become 4 rather than losing a row: 28 px images survive five pools); then
     * {@code flatten} and one linear {@code classifier} from {@code c_last·s·s} (s the final side) to the classes.
     * The benchmark workload W3 is {@code vgg(new int[] {32, 32, M, 64, 64, M, 128, 128, M}, 3, 32, 10)}: a
     * 2048 → 10 classifier.
     *
     * @throws IllegalArgumentException if a size or channel count is not positive, or the configuration has no conv
     */
    public static NamedSequential vgg(int[] config, int inChannels, int imageSize, int classes, LayerFactory factory) {
        checkInput("vgg", inChannels, imageSize, classes);
        if (Arrays.stream(config).noneMatch(c -> c > 0) || Arrays.stream(config).anyMatch(c -> c <= 0 && c != M)) {
            throw new IllegalArgumentException("Zoo.vgg: configuration must hold positive channel counts and M (" + M + "), got "
                    + Arrays.toString(config));
        }
        Sequential features = new Sequential();
        int channels = inChannels;
        int side = imageSize;
        for (int c : config) {
            if (c == M) {
                int pad = side % 2;
                features.add(new MaxPool2d(2, 2, pad));
                side = (side + 2 * pad - 2) / 2 + 1;
            } else {
                features.add(conv(factory, "features." + features.size(), Conv2d.Config.of(channels, c, 3, 1, 1)));
                features.add(new BatchNorm2d(c));
                features.add(new ReLU());
                channels = c;
            }
        }
        return new NamedSequential().add("features", features).add("flatten", new Flatten())
                .add("classifier", linear(factory, "classifier", channels * side * side, classes));
    }

    // ------------------------------------------------------------------ ResNet

    /** {@link #resnet(int, int, int, int, LayerFactory)} with first-order layers. */
    public static NamedSequential resnet(int depth, int inChannels, int imageSize, int classes) {
        return resnet(depth, inChannels, imageSize, classes, LayerFactory.FIRST_ORDER);
    }

    /** The CIFAR ResNet of He et al. 2016 with base width 16; see {@link #resnet(int, int, int, int, int, LayerFactory)}. */
    public static NamedSequential resnet(int depth, int inChannels, int imageSize, int classes, LayerFactory factory) {
        return resnet(depth, 16, inChannels, imageSize, classes, factory);
    }

    /**
     * The CIFAR ResNet of He et al. 2016 (section 4.2): {@code conv1} 3×3 → w, {@code bn1}, {@code relu}; stages
     * {@code layer1..layer3} of {@code n = (depth − 2)/6} basic blocks with w, 2w, 4w channels (the first block of
     * stages 2 and 3 has stride 2); {@code avgpool} (global), {@code flatten}, {@code fc} 4w → classes. A basic block
     * is a {@link Residual} with {@code main} = conv 3×3, BN, ReLU, conv 3×3, BN and a ReLU after the sum; where the
     * shape changes the {@code shortcut} is a 1×1 conv of the block's stride + BN (the paper's option B; its CIFAR
     * runs used zero-padding, option A, which has no weights), otherwise {@link Identity}. Convs have no bias.
     * The paper's model is {@code baseWidth = 16}: resnet20 then has 272,474 parameters for 3×32×32 inputs and 10
     * classes.
     *
     * @throws IllegalArgumentException if {@code depth} is not 6n + 2 with n ≥ 1, or a size is not positive
     */
    public static NamedSequential resnet(int depth, int baseWidth, int inChannels, int imageSize, int classes, LayerFactory factory) {
        checkInput("resnet", inChannels, imageSize, classes);
        if (depth < 8 || (depth - 2) % 6 != 0 || baseWidth <= 0) {
            throw new IllegalArgumentException("Zoo.resnet: depth must be 6n + 2 (14, 20, 32, 44, 56, 110...) and width positive, got depth "
                    + depth + ", width " + baseWidth);
        }
        int n = (depth - 2) / 6;
        NamedSequential net = new NamedSequential();
        net.add("conv1", conv(factory, "conv1", Conv2d.Config.of(inChannels, baseWidth, 3, 1, 1, 1, 1, false)));
        net.add("bn1", new BatchNorm2d(baseWidth));
        net.add("relu", new ReLU());
        int channels = baseWidth;
        for (int stage = 0; stage < 3; stage++) {
            int out = baseWidth << stage;
            String name = "layer" + (stage + 1);
            net.add(name, stage(factory, name, channels, out, n, stage == 0 ? 1 : 2));
            channels = out;
        }
        return head(net, factory, channels, classes);
    }

    /** {@link #resnet18(int, int, int, LayerFactory)} with first-order layers. */
    public static NamedSequential resnet18(int inChannels, int imageSize, int classes) {
        return resnet18(inChannels, imageSize, classes, LayerFactory.FIRST_ORDER);
    }

    /**
     * ResNet-18: basic blocks [2, 2, 2, 2] in stages {@code layer1..layer4} of 64, 128, 256, 512 channels (stride 2
     * from stage 2 on), then {@code avgpool}, {@code flatten}, {@code fc} 512 → classes; blocks as in
     * {@link #resnet(int, int, int, int, int, LayerFactory)} (1×1 conv + BN projections). The stem is the common
     * CIFAR adaptation for images up to {@link #SMALL_IMAGE} px: {@code conv1} 3×3 stride 1, {@code bn1},
     * {@code relu}, no max-pool; larger images get the ImageNet stem: 7×7 stride 2 padding 3, BN, ReLU and
     * {@code maxpool} 3×3 stride 2 padding 1. 11,173,962 parameters for 3×32×32 inputs and 10 classes.
     *
     * @throws IllegalArgumentException if a size is not positive
     */
    public static NamedSequential resnet18(int inChannels, int imageSize, int classes, LayerFactory factory) {
        return resnet18(inChannels, imageSize, classes, 64, factory);
    }

    private static NamedSequential resnet18(int inChannels, int imageSize, int classes, int base, LayerFactory factory) {
        checkInput("resnet18", inChannels, imageSize, classes);
        NamedSequential net = new NamedSequential();
        if (imageSize <= SMALL_IMAGE) {
            net.add("conv1", conv(factory, "conv1", Conv2d.Config.of(inChannels, base, 3, 1, 1, 1, 1, false)));
        } else {
            net.add("conv1", conv(factory, "conv1", Conv2d.Config.of(inChannels, base, 7, 2, 3, 1, 1, false)));
        }
        net.add("bn1", new BatchNorm2d(base));
        net.add("relu", new ReLU());
        if (imageSize > SMALL_IMAGE) {
            net.add("maxpool", new MaxPool2d(3, 2, 1));
        }
        int channels = base;
        for (int stage = 0; stage < 4; stage++) {
            int out = base << stage;
            String name = "layer" + (stage + 1);
            net.add(name, stage(factory, name, channels, out, 2, stage == 0 ? 1 : 2));
            channels = out;
        }
        return head(net, factory, channels, classes);
    }

    private static Sequential stage(LayerFactory f, String prefix, int in, int out, int blocks, int stride) {
        Sequential stage = new Sequential();
        for (int b = 0; b < blocks; b++) {
            String p = prefix + "." + b;
            int s = b == 0 ? stride : 1;
            int c = b == 0 ? in : out;
            Sequential main = new Sequential(
                    conv(f, p + ".main.0", Conv2d.Config.of(c, out, 3, s, 1, 1, 1, false)),
                    new BatchNorm2d(out),
                    new ReLU(),
                    conv(f, p + ".main.3", Conv2d.Config.of(out, out, 3, 1, 1, 1, 1, false)),
                    new BatchNorm2d(out));
            Module shortcut = s != 1 || c != out
                    ? new Sequential(conv(f, p + ".shortcut.0", Conv2d.Config.of(c, out, 1, s, 0, 1, 1, false)), new BatchNorm2d(out))
                    : new Identity();
            stage.add(new Residual(main, shortcut, new ReLU()));
        }
        return stage;
    }

    private static NamedSequential head(NamedSequential net, LayerFactory f, int channels, int classes) {
        return net.add("avgpool", new AdaptiveAvgPool2d(1)).add("flatten", new Flatten()).add("fc", linear(f, "fc", channels, classes));
    }

    // ------------------------------------------------------------------ MobileNet

    /** {@link #mobilenetV1(int, int, int, float, LayerFactory)} at width 1 with first-order layers. */
    public static NamedSequential mobilenetV1(int inChannels, int imageSize, int classes) {
        return mobilenetV1(inChannels, imageSize, classes, 1f, LayerFactory.FIRST_ORDER);
    }

    /** {@link #mobilenetV1(int, int, int, float, LayerFactory)} at width 1. */
    public static NamedSequential mobilenetV1(int inChannels, int imageSize, int classes, LayerFactory factory) {
        return mobilenetV1(inChannels, imageSize, classes, 1f, factory);
    }

    /**
     * MobileNet v1 (Howard et al. 2017): {@code features.0} = conv 3×3 → 32α, BN, ReLU; {@code features.1..13} =
     * depthwise separable blocks (3×3 depthwise conv of the block's stride, BN, ReLU, 1×1 pointwise conv, BN,
     * ReLU) to 64, 128, 128, 256, 256, 512 ×6, 1024, 1024 channels (times α, rounded, at least 1), stride 2 at the blocks to
     * 128, 256, 512 and the first 1024; then {@code avgpool} (global), {@code flatten}, {@code classifier} linear →
     * classes. Convs have no bias. The stem has stride 1 for images up to {@link #SMALL_IMAGE} px (the usual CIFAR
     * setting: 32 px end at 2×2) and 2 otherwise.
     *
     * @param widthMultiplier α, scaling every channel count
     * @throws IllegalArgumentException if a size or α is not positive
     */
    public static NamedSequential mobilenetV1(int inChannels, int imageSize, int classes, float widthMultiplier, LayerFactory factory) {
        checkInput("mobilenetV1", inChannels, imageSize, classes);
        if (!(widthMultiplier > 0) || Float.isInfinite(widthMultiplier)) {
            throw new IllegalArgumentException("Zoo.mobilenetV1: width multiplier must be positive, got " + widthMultiplier);
        }
        int[][] blocks = {{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1},
            {1024, 2}, {1024, 1}};
        Sequential features = new Sequential();
        int channels = scaled(32, widthMultiplier);
        int stemStride = imageSize <= SMALL_IMAGE ? 1 : 2;
        features.add(new Sequential(conv(factory, "features.0.0", Conv2d.Config.of(inChannels, channels, 3, stemStride, 1, 1, 1, false)),
                new BatchNorm2d(channels), new ReLU()));
        for (int[] b : blocks) {
            int out = scaled(b[0], widthMultiplier);
            String p = "features." + features.size();
            features.add(new Sequential(
                    conv(factory, p + ".0", Conv2d.Config.of(channels, channels, 3, b[1], 1, 1, channels, false)),
                    new BatchNorm2d(channels),
                    new ReLU(),
                    conv(factory, p + ".3", Conv2d.Config.of(channels, out, 1, 1, 0, 1, 1, false)),
                    new BatchNorm2d(out),
                    new ReLU()));
            channels = out;
        }
        return new NamedSequential().add("features", features).add("avgpool", new AdaptiveAvgPool2d(1)).add("flatten", new Flatten())
                .add("classifier", linear(factory, "classifier", channels, classes));
    }

    // ------------------------------------------------------------------ helpers

    private static Module conv(LayerFactory f, String role, Conv2d.Config config) {
        return Objects.requireNonNull(f.conv2d(role, config), () -> f + " returned no conv layer for " + role);
    }

    private static Module linear(LayerFactory f, String role, int in, int out) {
        return Objects.requireNonNull(f.linear(role, in, out, true), () -> f + " returned no linear layer for " + role);
    }

    private static void checkInput(String model, int inChannels, int imageSize, int classes) {
        if (inChannels <= 0 || imageSize <= 0 || classes <= 0) {
            throw new IllegalArgumentException("Zoo." + model + ": input channels, image size and classes must be positive, got "
                    + inChannels + ", " + imageSize + ", " + classes);
        }
    }
}
