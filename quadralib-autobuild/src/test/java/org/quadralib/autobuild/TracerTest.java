package org.quadralib.autobuild;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.quadralib.core.Tensor;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;

class TracerTest {

    @Test
    void resnetBlocksBecomeAddNodesJoiningBothBranches() {
        Module model = SummaryTest.zooModel("resnet14/3x32x32/10");
        Graph g = Tracer.trace(model, SummaryTest.input(new int[] {2, 3, 8, 8}));

        List<Graph.Node> adds = g.nodes(Graph.Kind.OP).stream().filter(n -> n.name().equals("add")).toList();
        assertEquals(6, adds.size(), g.toString());
        for (Graph.Node add : adds) {
            String block = add.owner();
            assertEquals(2, add.inputs().size(), add.toString());
            Graph.Node main = g.node(add.inputs().get(0));
            Graph.Node shortcut = g.node(add.inputs().get(1));
            assertEquals(block + ".main.4", main.name());
            assertTrue(shortcut.name().equals(block + ".shortcut") || shortcut.name().equals(block + ".shortcut.1"), shortcut.toString());
            List<Graph.Node> next = g.successors(add.id());
            assertEquals(1, next.size());
            assertEquals(block + ".act", next.get(0).name());
        }
        // The first block of stage 2 changes shape: its shortcut is a 1×1 conv + BN reading the block's input.
        Graph.Node proj = g.moduleNode("layer2.0.shortcut.0");
        Graph.Node firstConv = g.moduleNode("layer2.0.main.0");
        assertEquals(firstConv.inputs(), proj.inputs());
        assertEquals("layer1.1.act", g.node(proj.inputs().get(0)).name());
        assertArrayEquals(new int[] {2, 32, 4, 4}, proj.outputShape());
        assertEquals("fc", g.node(g.output().inputs().get(0)).name());
        assertArrayEquals(new int[] {2, 10}, g.output().outputShape());
    }

    @Test
    void graphIsConnectedTopologicalAndEdgesCarryProducerShapes() {
        Module model = SummaryTest.zooModel("resnet14/3x32x32/10");
        Graph g = Tracer.trace(model, SummaryTest.input(new int[] {2, 3, 8, 8}));
        Set<Integer> reached = new HashSet<>(List.of(0));
        for (Graph.Node n : g.nodes()) {
            for (int from : n.inputs()) {
                assertTrue(from < n.id(), "not topological: " + n);
                if (reached.contains(from)) {
                    reached.add(n.id());
                }
            }
        }
        assertEquals(g.nodes().size(), reached.size(), "nodes unreachable from the input:\n" + g);
        for (Graph.Edge e : g.edges()) {
            assertArrayEquals(g.node(e.from()).outputShape(), e.shape());
        }
        assertEquals(Graph.Kind.INPUT, g.input().kind());
        assertEquals(Graph.Kind.OUTPUT, g.output().kind());
        String dot = g.toDot();
        assertTrue(dot.startsWith("digraph model {"), dot);
        assertTrue(dot.contains("[label=\"[2, 16, 8, 8]\"]"), dot);
    }

    @Test
    void functionalOpsInAUserContainerAreNodesOwnedByIt() {
        Module inner = new Module() {
            private final Module a = registerModule("a", new Linear(4, 4));
            private final Module b = registerModule("b", new Linear(4, 4));

            @Override
            protected Tensor compute(Tensor x) {
                Tensor h = a.forward(x.mul(2f)).relu();
                return h.mul(b.forward(h)).add(x);
            }
        };
        Module outer = new Module() {
            private final Module block = registerModule("block", inner);

            @Override
            protected Tensor compute(Tensor x) {
                return block.forward(x).flatten(0);
            }
        };
        Graph g = Tracer.trace(outer, SummaryTest.input(new int[] {3, 4}));
        List<String> order = new ArrayList<>();
        for (Graph.Node n : g.nodes()) {
            order.add(n.kind() == Graph.Kind.OP ? n.name() + "@" + n.owner() : n.label());
        }
        assertEquals(List.of("input", "mul@block", "block.a", "relu@block", "block.b", "mul@block", "add@block", "reshape@", "output"),
                order);
        Graph.Node add = g.nodes().get(6);
        assertEquals(List.of(5, 0), add.inputs());
        assertArrayEquals(new int[] {12}, g.output().outputShape());
    }

    @Test
    void aLayerCalledTwiceIsTwoNodes() {
        Linear shared = new Linear(3, 3);
        Module net = new Module() {
            private final Module l = registerModule("l", shared);

            @Override
            protected Tensor compute(Tensor x) {
                return l.forward(l.forward(x));
            }
        };
        Graph g = Tracer.trace(net, SummaryTest.input(new int[] {2, 3}));
        List<Graph.Node> calls = g.nodes(Graph.Kind.MODULE);
        assertEquals(2, calls.size());
        assertEquals("l", calls.get(0).label());
        assertEquals("l#2", calls.get(1).label());
        assertEquals(List.of(calls.get(0).id()), calls.get(1).inputs());
    }
}
