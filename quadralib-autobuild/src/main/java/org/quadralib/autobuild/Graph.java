package org.quadralib.autobuild;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.quadralib.core.Shapes;
import org.quadralib.layers.Module;

/**
 * The data flow of one forward pass, as {@link Tracer#trace} recorded it: one node per call of a layer, one node
 * per functional op that ran between layers (a residual add, a flatten, an activation written with {@code F}),
 * plus the model's input and output, and edges carrying the shape of the tensor that flows along them.
 *
 * <p>Node ids are dense ({@code 0 .. size−1}) and topologically ordered: every node's inputs have smaller ids.
 */
public final class Graph {

    /** What a node stands for. */
    public enum Kind {
        /** The example input handed to the model. */
        INPUT,
        /** One call of a layer (a module traced as a unit, see {@link Tracer}). */
        MODULE,
        /** A functional op recorded by autograd outside any layer, e.g. the add of a residual block. */
        OP,
        /** The model's output. */
        OUTPUT
    }

    /**
     * One node.
     *
     * @param id index in {@link #nodes()}
     * @param kind what the node stands for
     * @param name the module path for a layer ({@code "features.3"}), the op name for an op, {@code "input"} or
     *     {@code "output"}
     * @param type the layer's class name, or the op name
     * @param owner the module path whose computation ran the node: the layer itself, or for an op the container
     *     whose {@code compute} called it ({@code ""} for the root)
     * @param call 0 for the first call of a layer in the pass, 1 for the second call of the same instance, ...
     * @param module the layer, or null for inputs, outputs and ops
     * @param outputShape the shape of the tensor the node produced
     * @param inputs ids of the nodes whose outputs this node consumed, in argument order
     */
    public record Node(int id, Kind kind, String name, String type, String owner, int call, Module module, int[] outputShape,
            List<Integer> inputs) {

        /** {@code name} for a first call, {@code name#2} for the second call of the same layer, ... */
        public String label() {
            return call == 0 ? name : name + "#" + (call + 1);
        }

        @Override
        public String toString() {
            return id + " " + kind + " " + label() + " (" + type + ") " + Shapes.str(outputShape) + " <- " + inputs;
        }
    }

    /**
     * A data dependency: {@code to} consumed the tensor {@code from} produced.
     *
     * @param from producer node id
     * @param to consumer node id
     * @param shape the shape of the tensor
     */
    public record Edge(int from, int to, int[] shape) {
        @Override
        public String toString() {
            return from + " -> " + to + " " + Shapes.str(shape);
        }
    }

    private final List<Node> nodes;
    private final List<Edge> edges;

    Graph(List<Node> nodes) {
        this.nodes = List.copyOf(nodes);
        List<Edge> e = new ArrayList<>();
        for (Node n : nodes) {
            for (int from : n.inputs()) {
                e.add(new Edge(from, n.id(), nodes.get(from).outputShape()));
            }
        }
        this.edges = Collections.unmodifiableList(e);
    }

    /** Every node, by id. */
    public List<Node> nodes() {
        return nodes;
    }

    /** Every edge, grouped by consumer in id order. */
    public List<Edge> edges() {
        return edges;
    }

    /** The node with this id. @throws IndexOutOfBoundsException if there is none */
    public Node node(int id) {
        return nodes.get(id);
    }

    /** The input node (id 0). */
    public Node input() {
        return nodes.get(0);
    }

    /** The output node (the last one). */
    public Node output() {
        return nodes.get(nodes.size() - 1);
    }

    /** Nodes of one kind, in id order. */
    public List<Node> nodes(Kind kind) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            if (n.kind() == kind) {
                out.add(n);
            }
        }
        return out;
    }

    /** The nodes that consumed {@code id}'s output, in id order. */
    public List<Node> successors(int id) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            if (n.inputs().contains(id)) {
                out.add(n);
            }
        }
        return out;
    }

    /** The first layer node for {@code path} (its first call). @throws IllegalArgumentException if none ran */
    public Node moduleNode(String path) {
        for (Node n : nodes) {
            if (n.kind() == Kind.MODULE && n.name().equals(path) && n.call() == 0) {
                return n;
            }
        }
        throw new IllegalArgumentException("Graph: no layer '" + path + "' ran in the traced pass; layers: " + moduleNames());
    }

    private List<String> moduleNames() {
        List<String> out = new ArrayList<>();
        for (Node n : nodes(Kind.MODULE)) {
            out.add(n.label());
        }
        return out;
    }

    /**
     * The graph in Graphviz's DOT language: layers as boxes, ops as ellipses, edges labelled with shapes.
     * Render with {@code dot -Tsvg}.
     */
    public String toDot() {
        StringBuilder sb = new StringBuilder("digraph model {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n");
        for (Node n : nodes) {
            String shape = switch (n.kind()) {
                case MODULE -> "box";
                case OP -> "ellipse";
                case INPUT, OUTPUT -> "plaintext";
            };
            String label = n.kind() == Kind.MODULE ? n.label() + "\\n" + n.type() : n.label();
            sb.append("  n").append(n.id()).append(" [shape=").append(shape).append(", label=\"").append(escape(label)).append("\"];\n");
        }
        for (Edge e : edges) {
            sb.append("  n").append(e.from()).append(" -> n").append(e.to()).append(" [label=\"").append(Shapes.str(e.shape()))
                    .append("\"];\n");
        }
        return sb.append("}\n").toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** One line per node: id, kind, label, type, output shape and input ids. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Node n : nodes) {
            sb.append(n).append('\n');
        }
        return sb.toString();
    }
}
