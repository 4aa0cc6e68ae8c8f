"""Shot-frugal gradient descent: iCANS (Kübler, Arrasmith, Cincio, Coles 2020) and its operator-
sampling form Rosalin (Arrasmith, Cincio, Somma, Coles 2020).

**Single-shot gradients.** For a cost f = ⟨H⟩ and a trainable entry x_i, the parameter-shift rule
writes ∂f/∂x_i = Σ_t (∂θ_t/∂x_i) Σ_μ c_μ f(θ + x_μ e_t) over the gate angles θ_t the entry moves.
Running every shifted circuit with s_i shots and combining shot k of each gives s_i independent
single-shot gradient samples G_i^(1), …, G_i^(s_i); their mean g_i is an unbiased gradient estimate
and their sample variance S_i estimates the variance of one sample, so g_i has variance S_i / s_i.
One shot of H is, per ``term_sampling``:

* None: one sample of every term's eigenvalue, Σ_j c_j h_j (commuting terms share a measurement);
* "weighted_random_sampling" (Rosalin): one term j drawn with probability p_j = |c_j| / M,
  M = Σ_j |c_j|, reported as M · sign(c_j) · h_j, an unbiased one-term estimate of ⟨H⟩. The s_i
  shots of an entry are spread over the terms by one multinomial draw; each drawn term gets its own
  circuits.

**iCANS1.** With stepsize α, the Lipschitz constant L of the gradient, averaging constant μ and bias
b, step k = 0, 1, … does, per entry i:

* x_i ← x_i − α g_i;
* exponential averages of the gradient and of the single-shot variance, bias-corrected like Adam's:
  χ'_i ← μ χ'_i + (1 − μ) g_i, ξ'_i ← μ ξ'_i + (1 − μ) S_i, χ_i = χ'_i / (1 − μ^(k+1)),
  ξ_i = ξ'_i / (1 − μ^(k+1));
* the next shot count s_i = ⌈2Lα ξ_i / ((2 − Lα)(χ_i² + b μ^k))⌉. For an L-smooth cost a step along
  x_i lowers f on average by at least (α − Lα²/2) g_i² − Lα² σ_i² / (2 s_i); divided by s_i it is
  the expected gain per shot γ_i, and the s_i above (with χ, ξ for g, σ² and b μ^k keeping the
  ratio finite early on) is the shot count that maximizes it;
* no entry gets more shots than the one with the largest γ_i (s_max = s_{argmax γ}), and none fewer
  than ``min_shots``: s ← min(max(s, 1), s_max), then s ← max(s, min_shots).

The first step uses ``min_shots`` for every entry.
"""
from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as onp

from kettle.core import queuing
from kettle.core.knumpy import tensor
from kettle.core.measurements import ExpectationMP, sample
from kettle.core.ops.observables import Hamiltonian
from kettle.core.qnode import QNode
from kettle.core.tape import QuantumTape
from kettle.devices import dispatch
from kettle.devices.sampling import group_measurements
from kettle.errors import OptimizerError
from kettle.gradients.rules import shift_rule
from kettle.optimize.base import ArgNum, Optimizer, as_trainable, check_positive
from kettle.optimize.circuit_params import gate_parameters, unflatten

TERM_SAMPLING = (None, "weighted_random_sampling")
#: the largest shot count the rule returns (it is unbounded where χ² + b μ^k vanishes)
_MAX_SHOTS = 1e12
_HINT = ("the shot-adaptive optimizer needs trainable arguments that set angles of gates with a "
         "generator (rotations such as RX, CRZ, IsingXX, and templates built from them)")


def icans_shots(chi: onp.ndarray, xi: onp.ndarray, *, k: int, stepsize: float, lipschitz: float,
                mu: float, b: float, min_shots: int) -> onp.ndarray:
    """iCANS1's shot counts for the next step from the bias-corrected averages (module docstring).

    Args:
        chi: χ, the averaged gradient, one entry per parameter.
        xi: ξ, the averaged single-shot variance of the gradient.
        k: the step that produced them (0 for the first).
        stepsize, lipschitz, mu, b: α, L, μ and b.
        min_shots: the smallest shot count.

    Returns:
        The integer shot counts s.
    """
    chi, xi = onp.asarray(chi, dtype=float), onp.asarray(xi, dtype=float)
    la = lipschitz * stepsize
    with onp.errstate(divide="ignore", invalid="ignore"):  # χ = 0 with b μ^k = 0
        ideal = onp.ceil(2 * la * xi / ((2 - la) * (chi ** 2 + b * mu ** k)))
    ideal = onp.where(xi > 0, ideal, 1.0)  # no noise to average away
    s = onp.clip(onp.nan_to_num(ideal, nan=1.0, posinf=_MAX_SHOTS), 1.0, _MAX_SHOTS)
    gain = ((stepsize - la * stepsize / 2) * chi ** 2 - la * stepsize * xi / (2 * s)) / s
    s_max = s[onp.argmax(gain)]
    return onp.maximum(onp.minimum(s, s_max), min_shots).astype(onp.int64)


class ShotAdaptiveOptimizer(Optimizer):
    """Gradient descent with a shot budget per parameter that follows the gradient's noise (iCANS1,
    with Rosalin's weighted random sampling of Hamiltonian terms as an option).

    Each step measures single-shot parameter-shift gradients with ``s[i]`` shots for trainable entry
    i, moves x ← x − α g and allocates the next step's shots by the rule in the module docstring.
    All trainable arguments are flattened into one vector (each in C order).

    Args:
        min_shots: the fewest shots any entry gets; at least 2, as the gradient's variance needs two
            samples.
        term_sampling: None (every shot measures all Hamiltonian terms) or
            "weighted_random_sampling" (every shot measures one term, drawn with probability
            ∝ |c_j|).
        mu: μ in (0, 1), the averaging constant of χ and ξ.
        b: b > 0, keeps the shot rule finite while χ is near zero (decays as b μ^k).
        stepsize: the learning rate α > 0; L α must stay below 2.
        lipschitz: L > 0, the Lipschitz constant of the gradient; default Σ_j |c_j| of the measured
            observable (a bound when the trainable entries are Pauli-rotation angles; pass a larger
            value when they enter with larger frequencies, e.g. RX(2x)).
        seed: seed or ``numpy.random.Generator`` of the term sampling; ``reset()`` restarts it.
            Shot noise comes from the device (``kt.device(..., seed=...)``).
        argnum: the arguments to optimize (default: those with ``requires_grad=True``).

    The cost must be a QNode returning ``kt.expval`` of one observable (a Hamiltonian, a Pauli word,
    a Hermitian matrix, …) whose trainable arguments set gate angles only. The optimizer runs the
    shifted circuits itself with the shots it chose, whatever the device's shots; ``step_and_cost``
    evaluates the cost as the QNode is set up (those shots are not counted).

    Attributes:
        s: the shots per entry for the next step (an int array shaped like the trainable argument,
            a list of them for several), None before the first step.
        shots_used: device shots spent by the optimizer since the last ``reset()``: each circuit's
            shots times the measurement settings it needs (qubit-wise commuting groups of terms).
        shots_last_step: the device shots of the last step.
        term_counts: with weighted random sampling, how many shots each Hamiltonian term received
            so far.
        chi, xi: the bias-corrected averages χ and ξ (flat), None before the first step.
        k: the number of steps since the last ``reset()``.

    Raises:
        OptimizerError: a hyper-parameter out of range, a cost that is not a QNode measuring one
            expectation value, or L α ≥ 2.

    Example:
        >>> dev = kt.device("default.qubit", wires=1, shots=100, seed=1)
        >>> @kt.qnode(dev)
        ... def energy(x):
        ...     kt.RX(x[0], wires=0)
        ...     return kt.expval(0.5 * kt.PauliZ(0) + 0.3 * kt.PauliX(0))
        >>> opt = kt.ShotAdaptiveOptimizer(min_shots=10, term_sampling="weighted_random_sampling",
        ...                                seed=3)
        >>> x = np.array([0.5])
        >>> for _ in range(20):
        ...     x = opt.step(energy, x)
        >>> opt.shots_used > 0
        True
    """

    def __init__(self, min_shots: int, *, term_sampling: str | None = None, mu: float = 0.99,
                 b: float = 1e-6, stepsize: float = 0.07, lipschitz: float | None = None,
                 seed: int | onp.random.Generator | None = None, argnum: ArgNum = None):
        super().__init__(argnum=argnum)
        if isinstance(min_shots, bool) or not isinstance(min_shots, numbers.Integral) or min_shots < 2:
            raise OptimizerError(
                f"{self.name}: min_shots must be an integer of at least 2 (the variance of the "
                f"gradient needs two single-shot samples), got {min_shots!r}", optimizer=self.name,
                value=min_shots)
        if term_sampling not in TERM_SAMPLING:
            raise OptimizerError(f"{self.name}: term_sampling must be one of {TERM_SAMPLING}, got "
                                 f"{term_sampling!r}", optimizer=self.name, value=term_sampling)
        self.min_shots = int(min_shots)
        self.term_sampling = term_sampling
        # μ = 0 is excluded too: b μ^k would vanish after the first step
        if isinstance(mu, bool) or not isinstance(mu, numbers.Real) or not 0 < mu < 1:
            raise OptimizerError(f"{self.name}: mu must be a number in (0, 1), got {mu!r}",
                                 optimizer=self.name, value=mu)
        self.mu = float(mu)
        self.b = check_positive(self.name, "b", b)
        self.stepsize = check_positive(self.name, "stepsize", stepsize)
        self.lipschitz = None if lipschitz is None else check_positive(self.name, "lipschitz",
                                                                       lipschitz)
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        """Forget the averages and shot counts, zero the counters, restart a seeded generator."""
        super().reset()
        self.k = 0
        self.chi: onp.ndarray | None = None
        self.xi: onp.ndarray | None = None
        self._chi_raw: onp.ndarray | None = None
        self._xi_raw: onp.ndarray | None = None
        self._s_flat: onp.ndarray | None = None
        self._shapes: list[tuple] = []
        self.shots_used = 0
        self.shots_last_step = 0
        self.term_counts: onp.ndarray | None = None
        seed = self._seed
        self._rng = seed if isinstance(seed, onp.random.Generator) else onp.random.default_rng(seed)

    @property
    def s(self):
        if self._s_flat is None:
            return None
        parts = unflatten(self._s_flat, self._shapes)
        return parts[0] if len(parts) == 1 else parts

    # ---------------------------------------------------------------- single-shot gradients
    def single_shot_gradients(self, cost: QNode, *args: Any, shots: int | Sequence[int],
                              argnum: ArgNum = None, **kwargs: Any) -> list[onp.ndarray]:
        """Single-shot parameter-shift gradient samples of a QNode (counted in ``shots_used``).

        Args:
            cost: the QNode.
            *args: its positional arguments.
            shots: the number of samples, one number for all trainable entries or one per entry.
            argnum: the arguments to differentiate (default: those with ``requires_grad=True``).
            **kwargs: keyword arguments of the QNode.

        Returns:
            One 1-D array of samples per flattened trainable entry; each sample is unbiased for the
            entry's derivative of the cost.

        Raises:
            OptimizerError: a cost this optimizer cannot sample (see the class docstring).
        """
        argnums = self.trainable_argnums(args, argnum)
        args = tuple(as_trainable(a, self.name, i) if i in argnums else a for i, a in enumerate(args))
        n = sum(int(onp.size(args[i])) for i in argnums)
        flat = onp.ravel(onp.asarray(shots, dtype=object))
        if len(flat) not in (1, n) or not all(
                isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0 for v in flat):
            raise OptimizerError(
                f"{self.name}: shots must be a positive integer or one per trainable entry ({n}), "
                f"got {shots!r}", optimizer=self.name, value=shots)
        counts = onp.broadcast_to(onp.array(flat, dtype=onp.int64), (n,))
        samples, _ = self._sample_gradients(cost, args, kwargs, argnums, counts)
        return samples

    def _sample_gradients(self, cost, args, kwargs, argnums, counts, before_run=None):
        """(per-entry sample arrays, Σ|c_j| of the observable), running the circuits;
        ``before_run(Σ|c_j|)`` may veto the run by raising."""
        qnode = self._qnode(cost)
        found = gate_parameters(qnode, args, kwargs, argnums, stop_at=_has_generator,
                                purpose="the parameter-shift gradient", hint=_HINT)
        tape = found.tape
        coeffs, terms = self._terms(qnode, tape)
        norm = float(onp.sum(onp.abs(coeffs)))
        if before_run is not None:
            before_run(norm)
        if self.term_counts is None or len(self.term_counts) != len(terms):
            self.term_counts = onp.zeros(len(terms), dtype=int)
        rules = []
        for t in range(tape.num_params):
            op, k = tape.get_operation(t)
            rules.append(shift_rule(tuple(float(f) for f in op.parameter_frequencies[k])))
        theta = [float(onp.real(p)) for p in tape.get_parameters()]
        jac = found.jacobian
        settings_all = len(group_measurements(self._measurements(terms), tape.wires))

        # plan: (entry, shots, weight of each shifted circuit, their tape indices, term weights)
        tapes, plan = [], []
        for i, s_i in enumerate(counts):
            recipe = [(t, jac[t, i] * c, x) for t in onp.flatnonzero(jac[:, i])
                      for c, x in zip(*rules[t])]
            if self.term_sampling is None:
                chunks = [(int(s_i), list(range(len(terms))), coeffs)]
            else:
                drawn = self._rng.multinomial(int(s_i), onp.abs(coeffs) / norm)
                self.term_counts += drawn
                chunks = [(int(m), [j], onp.array([norm * onp.sign(coeffs[j])]))
                          for j, m in enumerate(drawn) if m > 0]
            moved = [tape.bind_new_parameters([theta[t] + x], [tape.trainable_params[t]]).operations
                     for t, _, x in recipe]
            settings = settings_all if self.term_sampling is None else 1
            for shots, which, weights in chunks:
                meas = self._measurements([terms[j] for j in which])
                start = len(tapes)
                with queuing.stop_recording():
                    tapes += [QuantumTape(ops, meas, shots=shots) for ops in moved]
                self.shots_used += shots * settings * len(moved)
                self.shots_last_step += shots * settings * len(moved)
                plan.append((i, shots, [w for _, w, _ in recipe], range(start, len(tapes)),
                             weights))
        device = qnode.device
        results = dispatch.execute(device, [device.preprocess(t) for t in tapes],
                                   executor=getattr(qnode, "executor", None))
        samples: list[list] = [[] for _ in counts]
        for i, shots, tape_weights, indices, weights in plan:
            total = onp.zeros(shots)
            for w, idx in zip(tape_weights, indices):
                per_shot = sum(c * onp.asarray(r, dtype=float).reshape(shots)
                               for c, r in zip(weights, results[idx]))
                total = total + w * per_shot
            samples[i].append(total)
        return [onp.concatenate(parts) if parts else onp.zeros(int(s)) for parts, s in
                zip(samples, counts)], norm

    @staticmethod
    def _measurements(terms):
        with queuing.stop_recording():
            return [sample(o) for o in terms]

    def _terms(self, qnode: QNode, tape: QuantumTape) -> tuple[onp.ndarray, list]:
        meas = tape.measurements
        if len(meas) != 1 or not isinstance(meas[0], ExpectationMP):
            got = ", ".join(type(m).__name__ for m in meas)
            raise OptimizerError(
                f"{self.name} needs a QNode that returns kt.expval of one observable (a Hamiltonian, "
                f"a Pauli word, a Hermitian matrix, …), but {getattr(qnode.func, '__name__', qnode)} "
                f"returns {got}", optimizer=self.name, value=meas)
        obs = meas[0].obs
        if not isinstance(obs, Hamiltonian):
            return onp.array([1.0]), [obs]
        coeffs = onp.array([float(onp.real(onp.asarray(c))) for c in obs.coeffs])
        if not onp.any(coeffs):
            raise OptimizerError(f"{self.name}: the measured Hamiltonian {obs!r} is zero; there is "
                                 "nothing to minimize", optimizer=self.name, value=obs)
        return coeffs, list(obs.ops)

    def _qnode(self, cost) -> QNode:
        if not isinstance(cost, QNode):
            raise OptimizerError(
                f"{self.name} runs the parameter-shift circuits of the cost itself, but the cost "
                f"{getattr(cost, '__name__', cost)!r} is not a QNode; supported: a QNode that returns "
                "kt.expval of one observable (e.g. a Hamiltonian)", optimizer=self.name, value=cost)
        return cost

    # ---------------------------------------------------------------- the step
    def _update(self, cost, args, kwargs, argnums, *, grad_fn=None):
        shapes = [tuple(onp.shape(args[i])) for i in argnums]
        n = sum(int(onp.prod(s)) for s in shapes)
        if self._s_flat is not None and len(self._s_flat) != n:
            raise OptimizerError(
                f"{self.name}: the trainable arguments have {n} entries but the shot allocation has "
                f"{len(self._s_flat)}; call opt.reset() before optimizing a different problem",
                optimizer=self.name, value=n)
        counts = onp.full(n, self.min_shots) if self._s_flat is None else self._s_flat
        self.shots_last_step = 0

        def check(norm):  # before any shot is spent
            lipschitz = norm if self.lipschitz is None else self.lipschitz
            if not lipschitz * self.stepsize < 2:
                raise OptimizerError(
                    f"{self.name}: iCANS needs L·stepsize < 2, but L = {lipschitz:g} and stepsize "
                    f"= {self.stepsize:g} give {lipschitz * self.stepsize:g}; lower the stepsize (or "
                    "pass lipschitz=)", optimizer=self.name, value=self.stepsize)

        samples, norm = self._sample_gradients(cost, args, kwargs, argnums, counts, before_run=check)
        lipschitz = norm if self.lipschitz is None else self.lipschitz
        g = onp.array([onp.mean(v) for v in samples])
        variance = onp.array([onp.var(v, ddof=1) for v in samples])

        if self._chi_raw is None:
            self._chi_raw, self._xi_raw = onp.zeros(n), onp.zeros(n)
        mu, k = self.mu, self.k
        self._chi_raw = mu * self._chi_raw + (1 - mu) * g
        self._xi_raw = mu * self._xi_raw + (1 - mu) * variance
        self.chi = self._chi_raw / (1 - mu ** (k + 1))
        self.xi = self._xi_raw / (1 - mu ** (k + 1))
        self._s_flat = icans_shots(self.chi, self.xi, k=k, stepsize=self.stepsize,
                                   lipschitz=lipschitz, mu=mu, b=self.b, min_shots=self.min_shots)
        self._shapes = shapes
        self.k += 1
        moves = unflatten(g, shapes)
        return {i: tensor(onp.asarray(args[i], dtype=float) - self.stepsize * m, requires_grad=True)
                for i, m in zip(argnums, moves)}, None


def _has_generator(op) -> bool:
    return op.num_params == 0 or (op.num_params == 1 and op.has_generator)
