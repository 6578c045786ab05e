package org.quadralib.layers.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A console progress bar for the training epochs, as DJL's: one line per epoch, redrawn in place with a carriage
 * return, e.g. {@code epoch 2/5 [==========>         ]  53% loss 0.4121}. It redraws only when the shown
 * percentage changes, so a fast loop does not flood the terminal, and ends the line when the epoch ends.
 *
 * <p>{@link #ProgressBar()} decides by itself whether to draw: never when the system property
 * {@value #PROPERTY} is {@code false} (the build sets it for tests), always when it is {@code true}, otherwise
 * only when the JVM has a console ({@code System.console() != null}), so redirected output and logs stay
 * clean. A default listener of every {@link Trainer}.
 */
public final class ProgressBar implements TrainingListener {

    /** The system property that turns the bar off ({@code false}) or forces it on ({@code true}). */
    public static final String PROPERTY = "quadralib.progress";

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean enabled;
    private int shownPercent = -1;
    private int total;

    /** A bar on standard output, enabled as the class comment describes. */
    public ProgressBar() {
        this(System.out, enabledByDefault());
    }

    /** A bar drawing on {@code out} when {@code enabled}. */
    public ProgressBar(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
    }

    /** Whether a bar built with {@link #ProgressBar()} draws: see the class comment. */
    public static boolean enabledByDefault() {
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) {
            return Boolean.parseBoolean(property.trim());
        }
        return System.console() != null;
    }

    /** True if this bar draws. */
    public boolean enabled() {
        return enabled;
    }

    @Override
    public void onEpochStart(TrainingContext context) {
        total = context.batchesPerEpoch();
        shownPercent = -1;
    }

    @Override
    public void onBatchEnd(TrainingContext context, BatchResult result) {
        if (!enabled) {
            return;
        }
        int percent = (int) (100L * (result.batch() + 1) / total);
        if (percent == shownPercent) {
            return;
        }
        shownPercent = percent;
        out.print('\r' + line(context.epoch() + 1, context.epochs(), percent, result.loss()));
        out.flush();
    }

    @Override
    public void onEpochEnd(TrainingContext context, EpochRecord record) {
        endLine();
    }

    @Override
    public void onFitEnd(TrainingContext context, History history) {
        endLine();
    }

    private void endLine() {
        if (enabled && shownPercent >= 0) {
            out.println();
            out.flush();
        }
        shownPercent = -1;
    }

    /** The text of the bar: {@code epoch e/E [===>   ] p% loss x}. */
    static String line(int epoch, int epochs, int percent, float loss) {
        int filled = WIDTH * percent / 100;
        StringBuilder bar = new StringBuilder(WIDTH);
        for (int i = 0; i < WIDTH; i++) {
            bar.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        return String.format(Locale.ROOT, "epoch %d/%d [%s] %3d%% loss %.4f", epoch, epochs, bar, percent, loss);
    }
}
