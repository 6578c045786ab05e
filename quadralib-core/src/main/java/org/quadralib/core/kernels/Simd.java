package org.quadralib.core.kernels;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that chooses between the JDK Vector API kernels and the plain-Java ones.
 *
 * <p>The Vector API ({@code jdk.incubator.vector}) is used when its module is in the boot layer (start the JVM with
 * {@code --add-modules=jdk.incubator.vector}); otherwise every kernel runs its plain-Java loop, with the same
 * results to float rounding. The module is probed once, when this class initialises, and the choice is logged
 * once at INFO. Every kernel class reads {@link #VECTOR}, a constant the JIT folds into each branch, so a
 * {@code Vector*} class is never linked when the module is absent.
 */
public final class Simd {

    /** True if the Vector API kernels run. */
    static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    static {
        Logger log = LoggerFactory.getLogger(Simd.class);
        if (VECTOR) {
            log.info("Kernels: JDK Vector API; GEMM: {}", VectorGemm.create().describe());
        } else {
            log.info("Kernels: plain Java; GEMM: {} (module jdk.incubator.vector absent; add "
                    + "--add-modules=jdk.incubator.vector to the java command line for the faster Vector API kernels)",
                    ScalarGemm.INSTANCE.describe());
        }
    }

    private Simd() {
    }

    /** Whether the JDK Vector API module is present, so the Vector API kernels run. */
    public static boolean vectorApi() {
        return VECTOR;
    }
}
