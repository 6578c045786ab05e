package org.quadralib.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.quadralib.autobuild.Budget;
import org.quadralib.autobuild.BudgetSpec;
import org.quadralib.core.data.FashionMnist;
import org.quadralib.layers.NeuronType;

class ExploreOptionsTest {

    @Test
    void defaultsAreLeNetFirstOrderAndProposedOnTheSample() throws UsageException {
        ExploreOptions o = ExploreOptions.parse(List.of());
        assertEquals("lenet5", o.model());
        assertEquals(List.of(ExploreOptions.Variant.FIRST_ORDER, new ExploreOptions.Variant(NeuronType.PROPOSED)),
                o.variants());
        assertEquals(ExploreOptions.DEFAULT_EPOCHS, o.epochs());
        assertEquals(64, o.batchSize());
        assertEquals(0.01f, o.lr());
        assertEquals(Runtime.getRuntime().availableProcessors(), o.threads());
        assertNull(o.data().folder(), "the embedded sample");
        assertNull(o.out());
        assertNull(o.clip(), "the trainer's default");
        assertEquals(0, o.data().trainSize());
        assertEquals(List.of(1f, 0.5f), o.widths());
        assertEquals(BudgetSpec.parse("params=1.5x"), o.budget());
        assertEquals(1, o.fineTuneEpochs());
        assertEquals(0.1, o.validationFraction());
        assertFalse(o.quiet());
    }

    @Test
    void theExplorationOptionsAreRead() throws UsageException {
        ExploreOptions o = ExploreOptions.parse(List.of("--widths", "1, 0.75,0.5", "--budget", "memory=64MiB", "--fine-tune", "2",
                "--validation", "0.2", "--quiet"));
        assertEquals(List.of(1f, 0.75f, 0.5f), o.widths());
        assertEquals(new BudgetSpec(Budget.Measure.TRAINING_MEMORY, 64 << 20, false), o.budget());
        assertEquals(2, o.fineTuneEpochs());
        assertEquals(0.2, o.validationFraction());
        assertTrue(o.quiet());
        assertNull(ExploreOptions.parse(List.of("--budget", "none")).budget(), "no mixed model");
        assertThrows(UsageException.class, () -> ExploreOptions.parse(List.of("--widths", "1,1")));
        assertThrows(UsageException.class, () -> ExploreOptions.parse(List.of("--widths", "5")));
        assertThrows(UsageException.class, () -> ExploreOptions.parse(List.of("--validation", "1")));
        assertThrows(UsageException.class, () -> ExploreOptions.parse(List.of("--fine-tune", "0")));
        for (String option : List.of("--widths", "--budget", "--fine-tune", "--validation", "--quiet")) {
            assertTrue(ExploreOptions.help().contains(option), option);
        }
    }

    @Test
    void everyOptionIsRead() throws UsageException {
        ExploreOptions o = ExploreOptions.parse(List.of("--model", "vgg7", "--types", "t4, qres ,T1&2,first-order",
                "--epochs", "5", "--batch-size", "32", "--lr", "1e-3", "--clip", "2.5", "--threads", "1", "--data", "some/dir",
                "--out", "results", "--seed", "-7", "--train-size", "100", "--test-size", "50"));
        assertEquals("vgg7", o.model());
        assertEquals(List.of(new ExploreOptions.Variant(NeuronType.T4), new ExploreOptions.Variant(NeuronType.QRES),
                new ExploreOptions.Variant(NeuronType.T1_2), ExploreOptions.Variant.FIRST_ORDER), o.variants());
        assertEquals(5, o.epochs());
        assertEquals(32, o.batchSize());
        assertEquals(1e-3f, o.lr());
        assertEquals(2.5, o.clip());
        assertEquals(0.0, ExploreOptions.parse(List.of("--clip", "0")).clip(), "0 turns clipping off");
        assertEquals(1, o.threads());
        assertEquals(Path.of("some/dir"), o.data().folder());
        assertEquals(Path.of("results"), o.out());
        assertEquals(-7, o.seed());
        assertEquals(100, o.data().trainSize());
        assertEquals(50, o.data().testSize());
        assertEquals(FashionMnist.DEFAULT_FOLDER, ExploreOptions.parse(List.of("--full")).data().folder());
        assertNull(ExploreOptions.parse(List.of("--sample")).data().folder());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--model resnet99              | unknown model 'resnet99' for --model; models: mlp, lenet5,",
        "--types PROPOSED,T9           | unknown neuron type 'T9' in --types; accepted: first-order, T1, T2",
        "--types PROPOSED,,T4          | empty neuron type in --types 'PROPOSED,,T4'",
        "--types T4,t4                 | neuron type T4 listed twice",
        "--epochs 0                    | --epochs needs a positive whole number, got '0'",
        "--epochs two                  | --epochs needs a positive whole number, got 'two'",
        "--batch-size -8               | --batch-size needs a positive whole number, got '-8'",
        "--threads 0                   | --threads needs a positive whole number, got '0'",
        "--lr NaN                      | --lr needs a positive finite number, got 'NaN'",
        "--lr 0                        | --lr needs a positive finite number, got '0'",
        "--lr Infinity                 | --lr needs a positive finite number, got 'Infinity'",
        "--seed 1.5                    | --seed needs a whole number, got '1.5'",
        "--clip -0.5                   | --clip needs a number >= 0 (0 turns clipping off), got '-0.5'",
        "--clip NaN                    | --clip needs a number >= 0 (0 turns clipping off), got 'NaN'",
        "--train-size 99999999999      | --train-size needs a positive whole number, got '99999999999'",
        "--epochs                      | option --epochs needs a value",
        "--epochs --lr 0.1             | option --epochs needs a value",
        "--epochs 1 --epochs 2         | option --epochs given twice",
        "--verbose                     | unknown option '--verbose' (explore --help lists the options)",
        "lenet5                        | unexpected argument 'lenet5'",
        "--sample --data x             | --sample, --full and --data each choose the data; give one of them",
        "--full --sample               | --sample, --full and --data each choose the data",
    })
    void badInputIsOneLineNamingTheValue(String args, String message) {
        UsageException e = assertThrows(UsageException.class, () -> ExploreOptions.parse(List.of(args.split(" "))));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void neuronTypesAreReadByEnumOrDisplayName() throws UsageException {
        for (NeuronType t : NeuronType.values()) {
            assertEquals(t, ExploreOptions.Variant.parse(t.name().toLowerCase()).type());
            assertEquals(t, ExploreOptions.Variant.parse(t.displayName()).type());
        }
        assertEquals("T2&4", new ExploreOptions.Variant(NeuronType.T2_4).label());
        assertEquals("first-order", ExploreOptions.Variant.parse("First_Order").label());
    }
}
