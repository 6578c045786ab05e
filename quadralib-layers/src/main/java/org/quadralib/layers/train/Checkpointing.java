package org.quadralib.layers.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Saves {@link Checkpoint}s while training, into sub-folders of one folder named by the global step
 * ({@code step-000001200}), every {@code everySteps} optimizer steps and/or at the end of every epoch, keeping the
 * newest {@code keepLast}. {@link #latest(Path)} finds the one to {@link Trainer#resume} from.
 *
 * <p>Each save first clears what a crash may have left in the folder (see {@link Checkpoint#save}): temporary
 * folders are deleted, and a previous checkpoint moved aside but never replaced is moved back. One trainer
 * writes into a folder at a time. Folders whose name is not {@code step-} and at most 18 digits are not
 * checkpoints of this listener and are ignored.
 */
public final class Checkpointing implements TrainingListener {

    /** Checkpoint folder names; at most 18 digits, so every step named fits a long (longer names are ignored). */
    private static final Pattern NAME = Pattern.compile("step-(\\d{1,18})");

    private final Path folder;
    private final int everySteps;
    private final boolean everyEpoch;
    private final int keepLast;
    private Path lastSaved;

    /**
     * @param folder     where the checkpoint folders go (created if missing)
     * @param everySteps save after every {@code everySteps}-th optimizer step, or 0 for never mid-epoch
     * @param everyEpoch save after every epoch (after validation and a per-epoch scheduler step)
     * @param keepLast   how many of the newest checkpoints to keep, or 0 to keep all
     * @throws IllegalArgumentException if a count is negative, or nothing would ever be saved
     */
    public Checkpointing(Path folder, int everySteps, boolean everyEpoch, int keepLast) {
        if (everySteps < 0 || keepLast < 0) {
            throw new IllegalArgumentException("Checkpointing: everySteps and keepLast must be >= 0, got "
                    + everySteps + ", " + keepLast);
        }
        if (everySteps == 0 && !everyEpoch) {
            throw new IllegalArgumentException("Checkpointing: neither every N steps nor every epoch; nothing "
                    + "would be saved");
        }
        this.folder = java.util.Objects.requireNonNull(folder, "folder");
        this.everySteps = everySteps;
        this.everyEpoch = everyEpoch;
        this.keepLast = keepLast;
    }

    /** @throws UncheckedIOException if the checkpoint cannot be written */
    @Override
    public void onBatchEnd(TrainingContext context, BatchResult result) {
        if (everySteps > 0 && context.globalStep() % everySteps == 0) {
            save(context);
        }
    }

    /** @throws UncheckedIOException if the checkpoint cannot be written */
    @Override
    public void onEpochEnd(TrainingContext context, EpochRecord record) {
        if (everyEpoch) {
            save(context);
        }
    }

    /** The folder of the checkpoint saved last by this listener, or null. */
    public Path lastSaved() {
        return lastSaved;
    }

    /** The checkpoint folder for global step {@code step} under {@code folder}. */
    public static Path folderFor(Path folder, long step) {
        return folder.resolve(String.format(Locale.ROOT, "step-%09d", step));
    }

    /**
     * The complete checkpoint with the highest step under {@code folder}, if any.
     *
     * @throws IOException if the folder cannot be listed
     */
    public static Optional<Path> latest(Path folder) throws IOException {
        List<Path> all = checkpoints(folder);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    private void save(TrainingContext context) {
        Path target = folderFor(folder, context.globalStep());
        try {
            Checkpoint.recoverInterrupted(folder);
            Checkpoint.save(target, context);
            lastSaved = target;
            if (keepLast > 0) {
                List<Path> all = checkpoints(folder);
                for (int i = 0; i < all.size() - keepLast; i++) {
                    Checkpoint.deleteRecursively(all.get(i));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Checkpointing: cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** Complete checkpoint folders under {@code folder}, by ascending step. */
    private static List<Path> checkpoints(Path folder) throws IOException {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return found;
        }
        try (Stream<Path> children = Files.list(folder)) {
            children.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .filter(p -> Files.isRegularFile(p.resolve(Checkpoint.STATE_FILE)))
                    .forEach(found::add);
        }
        found.sort((a, b) -> Long.compare(step(a), step(b)));
        return found;
    }

    private static long step(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }
}
