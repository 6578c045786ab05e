package org.quadralib.layers.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.core.io.SafeTensors;
import org.quadralib.layers.Dropout;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;

/**
 * A training run that {@link KillResumeTest} kills and restarts: trains a small model for {@value #STEPS} steps,
 * checkpointing every {@value #EVERY} steps into the folder given, resuming from the latest checkpoint there if
 * any. Prints {@code STEP n} after every step (before that step's checkpoint is written) and, at the end, writes
 * the weights to {@code final.safetensors} and prints {@code DONE}.
 */
public final class KillResumeMain {

    /** Steps of the whole run: a little over three epochs. */
    static final int STEPS = 40;
    /** Steps between checkpoints. */
    static final int EVERY = 3;

    private KillResumeMain() {
    }

    /** @param args the checkpoint folder */
    public static void main(String[] args) throws IOException {
        Path folder = Path.of(args[0]);
        Init.manualSeed(7);
        Sequential model = new Sequential(new Linear(2, 32), new ReLU(), new Dropout(0.2f), new Linear(32, 3));
        DataLoader train = new DataLoader(SyntheticData.spirals(200, 3), DataLoader.Options.defaults()
                .withBatchSize(16).withShuffle(true).withSeed(11).withRandomCrop(0));
        TrainingListener announce = new TrainingListener() {
            @Override
            public void onBatchEnd(TrainingContext context, BatchResult result) {
                System.out.println("STEP " + context.globalStep());
                System.out.flush();
            }
        };
        Trainer trainer = new Trainer(Trainer.Config.sgd(0.05f, 0.9f).withMaxGradNorm(1.0)
                .withSchedule(Schedule.cosineWithWarmup(3, 0.1)).withThreads(1).withMaxSteps(STEPS), announce,
                new Checkpointing(folder, EVERY, false, 2));
        Optional<Path> latest = Checkpointing.latest(folder);
        if (latest.isPresent()) {
            System.out.println("RESUME " + latest.get().getFileName());
            trainer.resume(latest.get(), model, train, null, 10);
        } else {
            trainer.fit(model, train, null, 10);
        }
        SafeTensors.write(folder.resolve("final.safetensors"), model.stateDict());
        System.out.println("DONE");
    }
}
