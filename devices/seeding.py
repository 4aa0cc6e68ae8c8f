"""Where a device's random numbers come from: one seed, one child generator per tape.

A device turns its ``seed`` into a root :class:`numpy.random.SeedSequence` once, at creation. Every
batch of tapes it runs takes one child of that root per tape with finite shots, in batch order
(``SeedSequence.spawn``), and each such tape samples from ``default_rng(child)`` only. A tape's
random numbers therefore depend on the seed and on how many tapes with shots the device ran before
it, never on which thread, process or cluster worker simulates it: the serial path and every
executor of devices/dispatch.py give bit-identical results for one seed.

Seeds:

- ``"global"`` (the default): one draw ``numpy.random.randint(0, high=10_000_000)`` from NumPy's
  global random state at creation, so ``np.random.seed(…)`` at the top of a script fixes the whole
  run, and the global stream advances by exactly that one draw (as PennyLane's devices do).
- ``None``: fresh operating-system entropy.
- a non-negative int or a ``numpy.random.SeedSequence``: that root.
- a ``numpy.random.Generator``: its own seed sequence is the root, and it is the generator of
  devices that sample without :meth:`Device.seeded`.
- a ``jax.random`` key: children are ``jax.random.split`` keys and shots are drawn with
  ``jax.random`` (interfaces/jax_sampling.py), so a device made inside ``jax.jit`` samples there.
"""
from __future__ import annotations

import contextlib
import contextvars
import numbers
import threading
from typing import Any, Iterator, Sequence

import numpy as np

from kettle.errors import DeviceError

#: shots drawn at once; more are drawn in chunks of this size, each from its own child generator.
SHOT_CHUNK = 10**7
#: the upper bound of the one draw a ``seed="global"`` device takes from NumPy's global state.
GLOBAL_DRAW_HIGH = 10_000_000

#: (device seeds, child seed, generator made from it or None) of the tape being simulated.
_CURRENT: contextvars.ContextVar[list | None] = contextvars.ContextVar("kettle_tape_rng",
                                                                        default=None)
#: child seeds a dispatcher worker assigns to the next ``seeded`` batch of this context.
_ASSIGNED: contextvars.ContextVar[list | None] = contextvars.ContextVar("kettle_assigned_seeds",
                                                                         default=None)


def _jax_sampling():
    from kettle.interfaces import jax_sampling

    return jax_sampling


def _is_jax_key(seed: Any) -> bool:
    import sys

    # a JAX key can only exist once JAX is imported: never import it just to ask
    return "jax" in sys.modules and _jax_sampling().is_key(seed)


class DeviceSeeds:
    """The root seed of one device and the children it has handed out.

    Args:
        seed: see the module docstring.
        device: the device name, for error messages.

    Raises:
        DeviceError: a seed of another kind (a negative int, a float, a string other than
            ``"global"``).
    """

    def __init__(self, seed: Any, device: str):
        self._lock = threading.Lock()
        self.key = None
        self.root: np.random.SeedSequence | None = None
        self.fallback = None
        self.shot_chunk = SHOT_CHUNK
        if isinstance(seed, str) and seed == "global":
            self.root = np.random.SeedSequence(int(np.random.randint(0, high=GLOBAL_DRAW_HIGH)))
        elif seed is None:
            self.root = np.random.SeedSequence()
        elif isinstance(seed, np.random.SeedSequence):
            self.root = seed
        elif isinstance(seed, np.random.Generator):
            seq = seed.bit_generator.seed_seq
            self.root = seq if isinstance(seq, np.random.SeedSequence) else \
                np.random.SeedSequence(int(seed.integers(2**63)))
            self.fallback = seed
        elif isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0:
            self.root = np.random.SeedSequence(int(seed))
        elif _is_jax_key(seed):
            self.key = seed
        else:
            raise DeviceError(
                f"{device} got seed={seed!r}; a seed is None (fresh entropy), 'global' (the "
                "default: drawn from NumPy's global random state), a non-negative int, a "
                "numpy.random.Generator or a jax.random key", device=device)
        if self.fallback is None and self.root is not None:
            self.fallback = np.random.default_rng(self.root)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_lock"]  # locks do not pickle (devices travel with pickled QNodes)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def spawn(self, n: int) -> list:
        """``n`` new child seeds (SeedSequences, or keys for a JAX-key device)."""
        if n == 0:
            return []
        with self._lock:  # two threads must never receive the same child
            if self.key is not None:
                self.key, *children = _jax_sampling().split(self.key, n + 1)
                return children
            return self.root.spawn(n)

    def tape_seeds(self, tapes: Sequence) -> list:
        """One child seed per tape with finite shots (None for analytic tapes), in order."""
        children = iter(self.spawn(sum(1 for t in tapes if not t.shots.analytic)))
        return [None if t.shots.analytic else next(children) for t in tapes]

    def iterate(self, owner, tapes: Sequence) -> Iterator:
        assigned = _ASSIGNED.get()
        if assigned is not None:  # a dispatcher worker: the caller spawned these already
            _ASSIGNED.set(None)
            seeds = list(assigned)
            if len(seeds) != len(tapes):
                raise DeviceError(f"{len(seeds)} seeds were assigned to a batch of {len(tapes)} "
                                  f"tapes on device '{owner.name}'", device=owner.name)
        else:
            seeds = self.tape_seeds(tapes)
        for tape, child in zip(tapes, seeds):
            if child is None:
                yield tape
                continue
            token = _CURRENT.set([self, child, None])
            try:
                yield tape
            finally:
                _CURRENT.reset(token)

    def current(self):
        cur = _CURRENT.get()
        if cur is None or cur[0] is not self:
            if self.fallback is None:  # a JAX-key device sampling outside ``seeded``
                self.key, child = _jax_sampling().split(self.key, 2)
                return _jax_sampling().KeySampler(child)
            return self.fallback
        if cur[2] is None:
            cur[2] = generator_of(cur[1])
        return cur[2]


def callback_key(device):
    """For a JAX-key device: a fresh child key to hand to a host callback as an operand (the
    device's own key may be a tracer, which a callback must not touch); else None."""
    seeds = getattr(device, "_seeds", None)
    if seeds is None or seeds.key is None:
        return None
    return seeds.spawn(1)[0]


@contextlib.contextmanager
def using_key(device, key):
    """Inside a host callback: the device draws from the concrete ``key`` (from
    :func:`callback_key`) instead of its own, which is restored afterwards."""
    if key is None:
        yield
        return
    seeds = device._seeds
    with seeds._lock:
        saved, seeds.key = seeds.key, key
    try:
        yield
    finally:
        seeds.key = saved


def shot_chunk() -> int:
    """The chunk size of the device whose tape is being sampled (inside ``Device.seeded``)."""
    cur = _CURRENT.get()
    return cur[0].shot_chunk if cur is not None else SHOT_CHUNK


def generator_of(child: Any):
    """The sampler of one child seed: a NumPy Generator, or a JAX key sampler."""
    if isinstance(child, np.random.SeedSequence):
        return np.random.default_rng(child)
    return _jax_sampling().KeySampler(child)


@contextlib.contextmanager
def assigned(seeds: Sequence):
    """Inside the block, the next ``Device.seeded(tapes)`` uses ``seeds`` (one per tape, None for
    analytic ones) instead of spawning: how workers reproduce the caller's per-tape seeds."""
    token = _ASSIGNED.set(list(seeds))
    try:
        yield
    finally:
        _ASSIGNED.reset(token)
