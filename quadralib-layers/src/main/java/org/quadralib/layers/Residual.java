package org.quadralib.layers;

import java.util.Arrays;
import java.util.function.UnaryOperator;

import org.quadralib.core.Tensor;

/**
 * A residual block {@code y = act(main(x) + shortcut(x))}: the main branch (e.g. conv–BN–ReLU–conv–BN), a shortcut
 * ({@link Identity}, or a projection such as a 1×1 conv + BN when the shape changes) and an optional
 * post-activation. Children are named {@code main}, {@code shortcut} and {@code act} (absent without an
 * activation), so a block's state-dict names read {@code layer1.0.main.0.weight}, {@code layer1.0.shortcut.1.running_mean}.
 *
 * <p>Both branches must produce the same shape.
 */
public class Residual extends Module {
    private Module main;
    private Module shortcut;
    private Module act;

    /**
     * @param main the main branch
     * @param shortcut the shortcut branch ({@link Identity} for a plain skip connection)
     * @param act applied to the sum, or null for none
     * @throws NullPointerException if {@code main} or {@code shortcut} is null
     */
    public Residual(Module main, Module shortcut, Module act) {
        this.main = registerModule("main", java.util.Objects.requireNonNull(main, "Residual: main branch"));
        this.shortcut = registerModule("shortcut", java.util.Objects.requireNonNull(shortcut, "Residual: shortcut"));
        this.act = act == null ? null : registerModule("act", act);
    }

    /** A block with an identity shortcut and no post-activation: {@code y = main(x) + x}. */
    public Residual(Module main) {
        this(main, new Identity(), null);
    }

    /** @throws ShapeMismatchException naming this block's path and both branch shapes if they differ */
    @Override
    protected Tensor compute(Tensor x) {
        Tensor m = main.forward(x);
        Tensor s = shortcut.forward(x);
        if (!Arrays.equals(m.shape(), s.shape())) {
            throw new ShapeMismatchException(describe() + ": main branch gives " + Arrays.toString(m.shape()) + " but shortcut gives "
                    + Arrays.toString(s.shape()) + " for input " + Arrays.toString(x.shape()));
        }
        Tensor y = m.add(s);
        return act == null ? y : act.forward(y);
    }

    /** The main branch. */
    public Module main() {
        return main;
    }

    /** The shortcut branch. */
    public Module shortcut() {
        return shortcut;
    }

    /** The post-activation, or null. */
    public Module activation() {
        return act;
    }

    @Override
    protected void onChildReplaced(String name, Module old, Module replacement) {
        switch (name) {
            case "main" -> main = replacement;
            case "shortcut" -> shortcut = replacement;
            case "act" -> act = replacement;
            default -> throw new IllegalStateException(describe() + ": unknown child " + name);
        }
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        return new Residual(copyChild.apply(main()), copyChild.apply(shortcut()), activation() == null ? null : copyChild.apply(activation()));
    }
}
