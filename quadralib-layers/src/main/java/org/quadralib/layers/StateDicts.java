package org.quadralib.layers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.quadralib.core.Tensor;
import org.quadralib.core.io.SafeTensors;

/**
 * Saves and loads a module's state dict (parameters and buffers under PyTorch's dotted names and layouts) as a
 * safetensors file. A file PyTorch writes for the same architecture ({@code safetensors.torch.save_file(model.state_dict())})
 * loads with no adapter: other dtypes, such as the int64 {@code num_batches_tracked}, become float32 on reading.
 */
public final class StateDicts {

    /** Metadata key of the format tag. */
    public static final String FORMAT_KEY = "format";
    /**
     * The format tag written: {@code "pt"}, the value Hugging Face tools expect for tensors in PyTorch's names and
     * layouts, which these are.
     */
    public static final String FORMAT = "pt";
    /** Metadata key naming the library that wrote the file. */
    public static final String PRODUCER_KEY = "producer";
    /** Metadata key holding the root module's class name. */
    public static final String MODEL_KEY = "model";

    private StateDicts() {
    }

    /**
     * What a non-strict load left out.
     *
     * @param missing names the model has and the file lacked (those tensors kept their values)
     * @param unexpected names in the file the model does not have (ignored)
     * @param metadata the file's metadata
     */
    public record LoadResult(List<String> missing, List<String> unexpected, Map<String, String> metadata) {
    }

    /**
     * Writes {@code module.stateDict()} to {@code file} atomically, with metadata {@code format=pt},
     * {@code producer=quadralib} and {@code model=<root class>}.
     *
     * @throws IOException if writing fails; an existing file is then unchanged
     */
    public static void save(Module module, Path file) throws IOException {
        save(module, file, Map.of());
    }

    /**
     * As {@link #save(Module, Path)}, adding {@code extraMetadata} (e.g. the zoo name and training epoch); the
     * standard keys cannot be overridden.
     *
     * @throws IOException if writing fails; an existing file is then unchanged
     * @throws IllegalArgumentException if {@code extraMetadata} uses a standard key or holds a null
     */
    public static void save(Module module, Path file, Map<String, String> extraMetadata) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(extraMetadata);
        for (String key : List.of(FORMAT_KEY, PRODUCER_KEY, MODEL_KEY)) {
            if (meta.containsKey(key)) {
                throw new IllegalArgumentException("StateDicts.save: metadata key '" + key + "' is reserved");
            }
        }
        meta.put(FORMAT_KEY, FORMAT);
        meta.put(PRODUCER_KEY, "quadralib");
        meta.put(MODEL_KEY, module.getClass().getSimpleName());
        SafeTensors.write(file, module.stateDict(), meta);
    }

    /**
     * Reads {@code file} and copies its tensors into {@code module}'s parameters and buffers.
     *
     * @param strict if true, every name of the model must be in the file and every name in the file in the model
     * @return the missing and unexpected names (both empty after a strict load) and the file's metadata
     * @throws IllegalArgumentException naming the file and listing every missing, unexpected (when strict) and
     *     mis-shaped name with both shapes; nothing is copied then
     * @throws org.quadralib.core.io.MalformedFileException if the file is not valid safetensors
     * @throws IOException if the file cannot be read
     */
    public static LoadResult load(Module module, Path file, boolean strict) throws IOException {
        SafeTensors.Contents contents = SafeTensors.readWithMetadata(file);
        Map<String, Tensor> state = contents.tensors();
        List<String> missing;
        try {
            missing = module.loadStateDict(state, strict);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        Map<String, Tensor> own = module.stateDict();
        List<String> unexpected = new ArrayList<>();
        for (String name : state.keySet()) {
            if (!own.containsKey(name)) {
                unexpected.add(name);
            }
        }
        return new LoadResult(List.copyOf(missing), List.copyOf(unexpected), contents.metadata());
    }
}
