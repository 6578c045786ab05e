package org.quadralib.core.ops;

import static org.quadralib.core.ops.OpCheck.check;

import org.junit.jupiter.api.Test;
import org.quadralib.core.F;

/** Broadcasting arithmetic, unary functions, where, cat and stack against PyTorch and finite differences. */
class ElementwiseOpsTest {

    @Test
    void add() {
        check("add_same", in -> in[0].add(in[1]));
        check("add_broadcast", in -> in[0].add(in[1]));
        check("add_scalar_like", in -> in[0].add(in[1]));
        check("add_scalar", in -> in[0].add(0.5f));
    }

    @Test
    void sub() {
        check("sub_broadcast", in -> in[0].sub(in[1]));
        check("sub_broadcast_left", in -> in[0].sub(in[1]));
    }

    @Test
    void mul() {
        check("mul_broadcast", in -> in[0].mul(in[1]));
        check("mul_scalar_like", in -> in[0].mul(in[1]));
        check("mul_outer", in -> in[0].mul(in[1]));
        check("mul_scalar", in -> in[0].mul(-1.5f));
    }

    @Test
    void div() {
        check("div_broadcast", in -> in[0].div(in[1]));
        check("div_scalar_like", in -> in[0].div(in[1]));
        check("div_scalar", in -> in[0].div(4f));
    }

    @Test
    void neg() {
        check("neg", in -> in[0].neg());
    }

    @Test
    void pow() {
        check("pow2", in -> in[0].pow(2f));
        check("pow3", in -> in[0].pow(3f));
        check("pow_half", in -> in[0].pow(0.5f));
    }

    @Test
    void expLogSqrtAbs() {
        check("exp", in -> in[0].exp());
        check("log", in -> in[0].log());
        check("sqrt", in -> in[0].sqrt());
        check("abs", in -> in[0].abs());
    }

    @Test
    void clamp() {
        check("clamp", in -> in[0].clamp(-0.5f, 0.5f));
    }

    @Test
    void activations() {
        check("relu", in -> in[0].relu());
        check("leaky_relu", in -> in[0].leakyRelu(0.1f));
        check("sigmoid", in -> in[0].sigmoid());
        check("tanh", in -> in[0].tanh());
        check("gelu", in -> in[0].gelu());
    }

    @Test
    void where() {
        check("where", in -> F.where(in[0], in[1], in[2]));
    }

    @Test
    void cat() {
        check("cat_dim1", in -> F.cat(1, in[0], in[1]));
        check("cat_dim0_3d", in -> F.cat(0, in[0], in[1], in[2]));
        check("cat_neg_dim", in -> F.cat(-1, in[0], in[1]));
    }

    @Test
    void stack() {
        check("stack_dim0", in -> F.stack(0, in[0], in[1]));
        check("stack_neg_dim", in -> F.stack(-1, in[0], in[1], in[2]));
    }
}
