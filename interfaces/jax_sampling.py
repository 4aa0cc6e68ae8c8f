"""Shots drawn with ``jax.random`` for devices seeded with a JAX key (``seed=jax.random.PRNGKey(0)``).

The draws are JAX operations on the device's JAX state, so a QNode with shots runs inside
``jax.jit``; create the device inside the jitted function with the key as its seed to get fresh
samples per key::

    @jax.jit
    def estimate(x, key):
        dev = kt.device("default.qubit", wires=1, shots=1000, seed=key)
        return kt.QNode(circuit, dev, interface="jax")(x)

Each tape with shots takes one ``jax.random.split`` child of the device key, in batch order, as
NumPy seeds do (devices/seeding.py). Estimates are those of devices/sampling.py: one multinomial
draw per group of commuting measurements, individual outcomes only for ``sample()``.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from kettle.core import measurements as m
from kettle.core import qmath
from kettle.devices import sampling
from kettle.errors import MeasurementError


#: jitted once per shot count: eager ``jax.random.multinomial`` re-traces its loops on every call
_multinomial = jax.jit(jax.random.multinomial, static_argnums=1)


def is_key(seed: Any) -> bool:
    """Whether ``seed`` is a JAX PRNG key: a typed key, or a raw ``uint32[2]`` JAX array."""
    if not isinstance(seed, jax.Array):
        return False
    if jnp.issubdtype(seed.dtype, jax.dtypes.prng_key):
        return seed.shape == ()
    return seed.dtype == jnp.uint32 and seed.shape == (2,)


def split(key, n: int) -> list:
    """``n`` keys split from ``key``."""
    return list(jax.random.split(key, n))


class KeySampler:
    """Draws the shots of one tape from one JAX key.

    Args:
        key: the tape's key.
    """

    def __init__(self, key):
        self.key = jnp.asarray(key) if not isinstance(key, jax.Array) else key

    def measure_with_shots(self, mps: Sequence, view, shots: int, real_dtype: str, *,
                           probabilities: Callable) -> list:
        """Estimates of ``mps`` from ``shots`` draws, as JAX arrays (``counts`` as dictionaries,
        outside ``jax.jit`` only)."""
        groups = sampling.group_probabilities(mps, view, probabilities, to_array=jnp.asarray)
        keys = jax.random.split(self.key, len(groups))
        values: list = [None] * len(mps)
        for key, (members, gw, probs) in zip(keys, groups):
            p = jnp.clip(jnp.real(probs), 0, None)
            p = p / jnp.sum(p, axis=-1, keepdims=True)
            size = p.shape[-1]
            if any(isinstance(mps[i], m.SampleMP) for i in members):
                idx = jax.random.categorical(key, jnp.log(p), axis=-1,
                                             shape=(shots,) + p.shape[:-1])
                idx = jnp.moveaxis(idx, 0, -1)  # (batch?, shots)
                counts = jnp.sum(jax.nn.one_hot(idx, size, dtype=jnp.int32), axis=-2)
            else:
                idx, counts = None, _multinomial(key, shots, p)
            for i in members:
                values[i] = _estimate(mps[i], idx, counts, gw, shots, real_dtype)
        return values


def _eigvals(mp):
    return jnp.real(jnp.asarray(mp.obs.eigvals()))


def _marginal(counts, gw, wires):
    return sampling.marginal_counts(counts, gw, wires, xp=jnp)


def _estimate(mp, idx, counts, gw, shots, real_dtype):
    # float64 only where JAX has it (x64 enabled); else JAX's default float
    real_dtype = jnp.float32 if real_dtype == "float32" else jnp.result_type(float)
    if isinstance(mp, m.SampleMP):
        bits = (idx[..., None] >> jnp.arange(len(gw) - 1, -1, -1)) & 1
        if mp.obs is not None:
            sub = bits[..., [gw.index(w) for w in mp.obs.wires]]
            k = sub.shape[-1]
            return _eigvals(mp)[sub @ (2 ** jnp.arange(k - 1, -1, -1))].astype(real_dtype)
        sub = bits[..., [gw.index(w) for w in (mp.wires or gw)]]
        return (sub[..., 0] if sub.shape[-1] == 1 else sub).astype(jnp.result_type(int))
    if isinstance(mp, m.CountsMP):
        if qmath.is_abstract(counts):
            raise MeasurementError(
                "counts() gives a dictionary, which cannot be built inside jax.jit; return "
                "kt.probs(...) or kt.sample(...) from a jitted QNode", measurement="counts")
        return sampling.FROM_COUNTS[m.CountsMP](mp, np.asarray(counts).astype(np.int64), gw, shots)
    if isinstance(mp, m.ProbabilityMP):
        return (_marginal(counts, gw, mp.wires if len(mp.wires) else gw) / shots).astype(real_dtype)
    ev = _eigvals(mp)
    c = _marginal(counts, gw, mp.obs.wires)
    mean = c @ ev / shots
    if isinstance(mp, m.ExpectationMP):
        return mean.astype(real_dtype)
    return jnp.clip(c @ (ev * ev) / shots - mean * mean, 0, None).astype(real_dtype)
