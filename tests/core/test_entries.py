"""qmath.entries splits a weight array into the entries templates give their gates, and
qmath.stack_entries reads a batch of them back from their array in one operation (JAX)."""
from __future__ import annotations

import numpy as onp
import pytest

from kettle import numpy as knp
from kettle.core import qmath

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")
jax = pytest.importorskip("jax")
jnp = jax.numpy

W = onp.random.default_rng(0).normal(size=(4, 2, 3, 2))  # a batch of 4, then (2, 3, 2) weights
MAKERS = {"numpy": onp.array, "autograd": knp.array, "torch": torch.tensor,
          "tensorflow": tf.constant, "jax": jnp.array}


@pytest.mark.parametrize("interface", list(MAKERS))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_entries_index_the_trailing_axes_and_keep_the_batch(interface, k):
    w = MAKERS[interface](W)
    out = qmath.entries(w, k)
    assert out.shape == W.shape[4 - k:]
    for idx in onp.ndindex(*out.shape):
        onp.testing.assert_array_equal(qmath.to_numpy(out[idx]), W[(Ellipsis,) + idx])


def test_stacked_entries_are_one_slice_or_gather_with_the_stacked_values_and_gradient():
    with jax.enable_x64(True):
        w0 = jnp.asarray(W[0])

        def via(stack, pick):
            def f(w):
                e = qmath.entries(w, 3)
                s = stack([e[idx] for idx in pick])
                return jnp.sum(jnp.sin(s) * jnp.arange(1.0, len(pick) + 1))
            return f

        strided = [(0, i, 1) for i in range(3)] + [(1, i, 1) for i in range(3)]  # flat 1, 3, ... 11
        scattered = [(1, 2, 0), (0, 0, 1), (0, 2, 0)]
        for pick, op in ((strided, "slice"), (scattered, "gather")):
            fast, ref = via(qmath.stack_entries, pick), via(jnp.stack, pick)
            onp.testing.assert_allclose(fast(w0), ref(w0), rtol=1e-14)
            onp.testing.assert_allclose(jax.grad(fast)(w0), jax.grad(ref)(w0), rtol=1e-14)
            ops = {e.primitive.name for e in jax.make_jaxpr(fast)(w0).eqns}
            assert op in ops and "stack" not in ops and "concatenate" not in ops
        mixed = [qmath.entries(w0, 3)[0, 0, 0], jnp.asarray(0.5)]  # not all entries: jnp.stack
        onp.testing.assert_allclose(qmath.stack_entries(mixed), [W[0, 0, 0, 0], 0.5])
