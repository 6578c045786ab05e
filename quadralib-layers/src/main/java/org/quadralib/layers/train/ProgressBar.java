package org.quadralib.layers.train;

import java.io.Console;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A console progress bar for the training epochs, as DJL's: one line per epoch on standard error, redrawn in place
 * with a carriage return, e.g.
 * {@code epoch 2/5  53/100 [=========>         ] 41.2 it/s ETA 0:01 loss 0.4121}: the epoch, the batches done of
 * the epoch's total, the bar, the rate in batches per second and the time left in the epoch at that rate, and the
 * last batch's loss. The line is fitted to the terminal's width (the {@code COLUMNS} environment variable, 80 when
 * it is unset or not a number), so it never wraps: the bar shrinks first, then the rate, the ETA and the loss are
 * dropped in turn. It redraws only when the text changes, at most every {@value #MIN_REDRAW_MILLIS} ms (the last
 * batch of an epoch always), so a fast loop does not flood the terminal, and ends the line when the epoch ends.
 * Standard output stays free for a program's own results.
 *
 * <p>{@link #ProgressBar()} decides by itself whether to draw: never when the system property {@value #PROPERTY} is
 * {@code false} (the build sets it for tests), always when it is {@code true}, otherwise only when the JVM is
 * attached to a terminal ({@code System.console()}, and on JDK 22 and later also {@code Console.isTerminal()}), so
 * redirected output and logs stay clean. A default listener of every {@link Trainer}.
 */
public final class ProgressBar implements TrainingListener {

    /** The system property that turns the bar off ({@code false}) or forces it on ({@code true}). */
    public static final String PROPERTY = "quadralib.progress";

    /** The shortest time between two redraws, except for an epoch's last batch. */
    public static final long MIN_REDRAW_MILLIS = 100;

    /** The line width used when {@code COLUMNS} is unset or not a positive number. */
    public static final int DEFAULT_WIDTH = 80;

    private static final int MAX_BAR = 30;
    private static final int MIN_BAR = 5;

    private final PrintStream out;
    private final boolean enabled;
    private final int width;
    private final LongSupplier nanoClock;
    private String shown;
    private long shownAt;
    private long epochStart;
    private int startBatch;

    /** A bar on standard error, enabled and sized as the class comment describes. */
    public ProgressBar() {
        this(System.err, enabledByDefault(), terminalWidth(System.getenv("COLUMNS")), System::nanoTime);
    }

    /** A bar drawing on {@code out} when {@code enabled}, {@value #DEFAULT_WIDTH} columns wide. */
    public ProgressBar(PrintStream out, boolean enabled) {
        this(out, enabled, DEFAULT_WIDTH, System::nanoTime);
    }

    /**
     * A bar drawing on {@code out} when {@code enabled}, never wider than {@code width} − 1 characters (a terminal
     * wraps a line that fills its last column), timed by {@code nanoClock} (as {@link System#nanoTime()}).
     *
     * @throws IllegalArgumentException if {@code width} is not positive
     */
    public ProgressBar(PrintStream out, boolean enabled, int width, LongSupplier nanoClock) {
        if (width <= 0) {
            throw new IllegalArgumentException("ProgressBar: width must be positive, got " + width);
        }
        this.out = out;
        this.enabled = enabled;
        this.width = width;
        this.nanoClock = nanoClock;
    }

    /** Whether a bar built with {@link #ProgressBar()} draws: see the class comment. */
    public static boolean enabledByDefault() {
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) {
            return Boolean.parseBoolean(property.trim());
        }
        Console console = System.console();
        if (console == null) {
            return false;
        }
        // From JDK 22 a console exists even when output is redirected; isTerminal() tells them apart.
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (IllegalAccessException | InvocationTargetException e) {
            return false;
        }
    }

    /** The terminal width given the value of {@code COLUMNS}: that number, or {@value #DEFAULT_WIDTH}. */
    public static int terminalWidth(String columns) {
        if (columns != null) {
            try {
                int w = Integer.parseInt(columns.trim());
                if (w > 0) {
                    return w;
                }
            } catch (NumberFormatException e) {
                // not a number: the default
            }
        }
        return DEFAULT_WIDTH;
    }

    /** True if this bar draws. */
    public boolean enabled() {
        return enabled;
    }

    @Override
    public void onEpochStart(TrainingContext context) {
        shown = null;
        epochStart = nanoClock.getAsLong();
        startBatch = context.batchesDone();
    }

    @Override
    public void onBatchEnd(TrainingContext context, BatchResult result) {
        if (!enabled) {
            return;
        }
        int total = context.batchesPerEpoch();
        int done = result.batch() + 1;
        long now = nanoClock.getAsLong();
        double seconds = (now - epochStart) / 1e9;
        double rate = seconds > 0 ? (done - startBatch) / seconds : Double.NaN;
        String line = line(context.epoch() + 1, context.epochs(), done, total, rate, result.loss(), width);
        boolean due = shown == null || done == total || now - shownAt >= MIN_REDRAW_MILLIS * 1_000_000L;
        if (line.equals(shown) || !due) {
            return;
        }
        // Spaces over what is left of a longer earlier line.
        int pad = shown == null ? 0 : Math.max(0, shown.length() - line.length());
        out.print("\r" + line + " ".repeat(pad));
        out.flush();
        shown = line;
        shownAt = now;
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
        if (enabled && shown != null) {
            out.println();
            out.flush();
        }
        shown = null;
    }

    /**
     * The text of the bar, at most {@code width − 1} characters: {@code epoch e/E  d/T [===>  ] r it/s ETA m:ss loss x}.
     * The bar shrinks to fit (down to {@value #MIN_BAR} characters); then the rate, the ETA, the bar and the loss are
     * dropped in that order, and what is left is cut.
     *
     * @param rate batches per second, or NaN when not known yet (the ETA then shows {@code --:--})
     */
    static String line(int epoch, int epochs, int done, int total, double rate, float loss, int width) {
        int max = Math.max(1, width - 1);
        String head = String.format(Locale.ROOT, "epoch %d/%d %" + digits(total) + "d/%d", epoch, epochs, done, total);
        String rateText = Double.isFinite(rate) ? String.format(Locale.ROOT, " %.1f it/s", rate) : "";
        String eta = " ETA " + (Double.isFinite(rate) && rate > 0 ? duration((total - done) / rate) : "--:--");
        String lossText = String.format(Locale.ROOT, " loss %.4f", loss);
        String[][] tails = {
            {rateText, eta, lossText},
            {eta, lossText},
            {lossText},
        };
        for (String[] tail : tails) {
            String rest = String.join("", tail);
            int room = max - head.length() - rest.length() - 3; // " [" and "]"
            if (room >= MIN_BAR) {
                return head + " [" + bar(done, total, Math.min(MAX_BAR, room)) + "]" + rest;
            }
        }
        for (String noBar : new String[] {head + lossText, head}) {
            if (noBar.length() <= max) {
                return noBar;
            }
        }
        return head.substring(0, max);
    }

    private static String bar(int done, int total, int size) {
        int filled = (int) ((long) size * done / total);
        StringBuilder bar = new StringBuilder(size);
        for (int i = 0; i < size; i++) {
            bar.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        return bar.toString();
    }

    private static int digits(int n) {
        return Integer.toString(n).length();
    }

    /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
