"""Rotosolve and Rotoselect: exact coordinate minimization of circuits, one gate angle at a time.

With every other parameter fixed, a circuit's cost is a trigonometric polynomial of one angle
(see :mod:`kettle.optimize.fourier`). A few evaluations reconstruct it, and its global minimum is
found classically; a step sweeps once over every trainable entry. The original algorithms (Ostaszewski,
Grant, Benedetti 2021; Vidal and Theis 2018) treat single-frequency Pauli rotations; the
reconstruction generalizes them to gates and parameter sharing with several frequencies.
"""
from __future__ import annotations

import numbers
from typing import Any, Callable, Sequence

import numpy as onp

from kettle.core.knumpy import tensor
from kettle.core.measurements import ExpectationMP
from kettle.core.operator import Operation
from kettle.core.ops import RX, RY, RZ
from kettle.core.qnode import QNode
from kettle.devices import dispatch
from kettle.errors import OptimizerError
from kettle.optimize.base import ArgNum, Optimizer
from kettle.optimize.fourier import TrigPolynomial, sampling_plan
from kettle.optimize.spectrum import qnode_spectra

Index = tuple[int, ...]


class _CoordinateOptimizer(Optimizer):
    """Shared bookkeeping: counts cost evaluations and minimizes along one coordinate."""

    def __init__(self, *, argnum: ArgNum = None):
        super().__init__(argnum=argnum)
        self.evaluations = 0

    def reset(self) -> None:
        """Zero the evaluation counter."""
        super().reset()
        self.evaluations = 0

    def evaluate(self, cost, args, kwargs):
        self.evaluations += 1
        return super().evaluate(cost, args, kwargs)

    def line_minimum(self, cost: Callable, args: list, kwargs: dict, i: int, index: Index,
                     frequencies: tuple[float, ...], value_here: float | None):
        """(new value of ``args[i][index]``, predicted cost there) from 2R+1 samples along it.

        ``value_here`` is the cost at the current point when known (it saves one evaluation).
        ``args[i]`` is moved while sampling and put back afterwards.
        """
        plan = sampling_plan(tuple(frequencies))
        original = args[i]
        x = onp.array(original, dtype=float)
        theta = float(x[index])
        todo = [s for s in plan.shifts if not (s == 0 and value_here is not None)]
        points = []
        for s in todo:
            x[index] = theta + s
            points.append(x.copy())
        found = dict(zip(todo, self._values_along(cost, args, kwargs, i, points)))
        args[i] = original
        values = [value_here if (s == 0 and value_here is not None) else found[s]
                  for s in plan.shifts]
        offset, predicted = TrigPolynomial.fit(plan, values).minimize()
        return theta + offset, predicted

    def _values_along(self, cost, args: list, kwargs: dict, i: int, points: list) -> list[float]:
        """The cost with ``args[i]`` set to each of ``points``: for a QNode measuring one
        expectation value, its circuits run as one batch on the device (and its executor)."""
        if isinstance(cost, QNode):
            tapes = [cost.construct(tuple(_plain(a) for a in args[:i]) + (p,)
                                    + tuple(_plain(a) for a in args[i + 1:]), kwargs)[0]
                     for p in points]
            if all(len(t.measurements) == 1 and isinstance(t.measurements[0], ExpectationMP)
                   and t.batch_size is None and not t.shots.has_vector for t in tapes):
                dev = cost.device
                results = dispatch.execute(dev, [dev.preprocess(t) for t in tapes],
                                           executor=getattr(cost, "executor", None))
                self.evaluations += len(points)
                return [float(onp.real(r[0])) for r in results]
        values = []
        for p in points:
            args[i] = tensor(p, requires_grad=True)
            values.append(self.evaluate(cost, args, kwargs))
        return values


class RotosolveOptimizer(_CoordinateOptimizer):
    """Rotosolve: each trainable entry in turn is set to the exact minimizer of the cost along it.

    An entry with R frequencies costs 2R evaluations (the cost at the current point is reused from
    the previous coordinate's reconstruction, which is exact for a noiseless cost). When the cost is a
    QNode, each entry's frequencies are inferred from its gates (``parameter_frequencies``, combined
    over every gate the entry feeds, which must depend on it linearly). For other costs, or to
    override, pass ``spectra`` or ``nums_frequency``; entries given neither get the frequency 1 of a
    Pauli rotation (``RX(x)`` gives cos x and sin x).

    Args:
        nums_frequency: R, for the integer spectrum {1, …, R}: an int for every entry, or
            ``{argnum: int}``, or ``{argnum: {index: int}}`` with ``index`` a tuple (or an int for
            one-dimensional arguments).
        spectra: positive frequencies, in the same three forms (a sequence instead of an int).
        argnum: the arguments to optimize (default: those with ``requires_grad=True``).

    Both options can also be given to a single ``step``, where they replace the optimizer's. The number
    of cost evaluations so far is ``opt.evaluations``.

    Example:
        >>> dev = kt.device("default.qubit", wires=1)
        >>> @kt.qnode(dev)
        ... def circuit(x):
        ...     kt.RX(x[0], wires=0)
        ...     kt.RY(x[1], wires=0)
        ...     return kt.expval(kt.PauliZ(0))
        >>> opt = kt.RotosolveOptimizer()
        >>> x, cost_before = opt.step_and_cost(circuit, np.array([0.5, 0.1]))  # one sweep over every entry
        >>> round(float(circuit(x)), 6)
        -1.0
    """

    step_options = ("nums_frequency", "spectra")

    def __init__(self, *, nums_frequency: Any = None, spectra: Any = None, argnum: ArgNum = None):
        super().__init__(argnum=argnum)
        self.nums_frequency = nums_frequency
        self.spectra = spectra

    def frequencies(self, cost: Callable, args: Sequence, kwargs: dict, argnums: Sequence[int], *,
                    nums_frequency: Any = None, spectra: Any = None) -> dict[int, onp.ndarray]:
        """The frequencies used for each entry of the trainable arguments.

        Returns:
            ``{position: object array of the argument's shape with a tuple of frequencies per
            entry}``; an empty tuple marks an entry the cost does not depend on.

        Raises:
            OptimizerError: a malformed option, or a QNode whose frequencies cannot be inferred.
        """
        nums = self.nums_frequency if nums_frequency is None else nums_frequency
        spec = self.spectra if spectra is None else spectra
        inferred = None
        out = {}
        for i in argnums:
            shape = onp.shape(args[i])
            table = onp.empty(shape, dtype=object)
            for index in onp.ndindex(shape):
                given = self._given(spec, nums, i, index)
                if given is None and isinstance(cost, QNode):
                    if inferred is None:
                        inferred = qnode_spectra(cost, args, kwargs, argnums)
                    given = inferred[i][index]
                table[index] = (1.0,) if given is None else given
            out[i] = table
        return out

    def _given(self, spectra, nums, i, index) -> tuple[float, ...] | None:
        value = _entry(spectra, i, index)
        if value is not None:
            try:
                freqs = tuple(float(f) for f in value)
            except (TypeError, ValueError):
                freqs = ()
            if not freqs or any(not onp.isfinite(f) or f <= 0 for f in freqs):
                raise OptimizerError(
                    f"{self.name}: spectra for argument {i} entry {index} must be a non-empty sequence "
                    f"of positive frequencies, got {value!r}", optimizer=self.name, value=value)
            return freqs
        value = _entry(nums, i, index)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise OptimizerError(
                    f"{self.name}: nums_frequency for argument {i} entry {index} must be a positive "
                    f"integer, got {value!r}", optimizer=self.name, value=value)
            return tuple(float(f) for f in range(1, int(value) + 1))
        return None

    def _update(self, cost, args, kwargs, argnums, *, grad_fn=None, nums_frequency=None,
                spectra=None):
        table = self.frequencies(cost, args, kwargs, argnums, nums_frequency=nums_frequency,
                                 spectra=spectra)
        work = list(args)
        before = self.evaluate(cost, work, kwargs)
        current = before
        for i in argnums:
            for index in onp.ndindex(onp.shape(args[i])):
                freqs = table[i][index]
                if not freqs:
                    continue  # the cost does not depend on this entry
                theta, current = self.line_minimum(cost, work, kwargs, i, index, freqs, current)
                x = onp.array(work[i], dtype=float)
                x[index] = theta
                work[i] = tensor(x, requires_grad=True)
        return {i: work[i] for i in argnums}, before


class RotoselectOptimizer(_CoordinateOptimizer):
    """Rotoselect: for each parameter, the rotation generator and angle that minimize the cost.

    The cost takes the parameters and a list of gate classes, ``cost(x, generators, *rest)``, and
    applies ``generators[d](x[d], ...)`` (``x`` in C order). A step sweeps over the parameters; for
    each it reconstructs the cost along the angle for every candidate generator and keeps the best
    (generator, angle) pair.

    Args:
        possible_generators: the candidate one-parameter gates; default ``(RX, RY, RZ)``.

    ``step(cost, x, generators, *rest)`` returns ``(x, generators)`` (plus the unchanged ``rest``);
    ``minimize(cost, (x0, generators0))`` works as for the other optimizers.

    Raises:
        OptimizerError: a candidate is not a one-parameter gate, or ``generators`` does not hold one
            gate per parameter.

    Example:
        >>> dev = kt.device("default.qubit", wires=2)
        >>> @kt.qnode(dev)
        ... def circuit(x, generators):
        ...     generators[0](x[0], wires=0)
        ...     generators[1](x[1], wires=1)
        ...     kt.CNOT(wires=[0, 1])
        ...     return kt.expval(kt.PauliZ(0) + kt.PauliZ(1))
        >>> opt = kt.RotoselectOptimizer()
        >>> x, gens = opt.step(circuit, np.array([0.5, 0.1]), [kt.RX, kt.RX])
        >>> round(float(circuit(x, gens)), 6)  # RX(π) flips qubit 0, then the CNOT flips qubit 1
        -2.0
    """

    def __init__(self, possible_generators: Sequence[type] = (RX, RY, RZ)):
        super().__init__()
        gens = list(possible_generators)
        bad = [g for g in gens if not (isinstance(g, type) and issubclass(g, Operation)
                                       and g.num_params == 1)]
        if not gens or bad:
            raise OptimizerError(f"{self.name}: possible_generators must be one-parameter gate "
                                 f"classes such as kt.RX, got {bad or gens!r}", optimizer=self.name,
                                 value=bad or gens)
        self.possible_generators = gens
        self._freqs = {g: tuple(_class_frequencies(g)) for g in gens}

    def trainable_argnums(self, args, argnum=None):
        if argnum is not None:
            raise OptimizerError(f"{self.name} always optimizes its first two arguments (x, "
                                 "generators); argnum is not accepted", optimizer=self.name)
        if len(args) < 2:
            raise OptimizerError(f"{self.name}.step needs the parameters and the generators: "
                                 "opt.step(cost, x, generators)", optimizer=self.name)
        size = int(onp.size(args[0]))
        gens = args[1]
        if not isinstance(gens, (list, tuple)) or len(gens) != size:
            raise OptimizerError(
                f"{self.name}: generators must be a list with one gate class per parameter ({size}), "
                f"got {gens!r}", optimizer=self.name, value=gens)
        return [0]

    def _update(self, cost, args, kwargs, argnums, *, grad_fn=None):
        work = list(args)
        work[1] = list(args[1])
        shape = onp.shape(args[0])
        before = self.evaluate(cost, work, kwargs)
        current = before
        for d, index in enumerate(onp.ndindex(shape)):
            original = list(work[1])
            best = None
            for gen in self.possible_generators:
                work[1] = original[:d] + [gen] + original[d + 1:]
                known = current if gen is original[d] else None
                theta, value = self.line_minimum(cost, work, kwargs, 0, index, self._freqs[gen], known)
                if best is None or value < best[2] - 1e-12:
                    best = (gen, theta, value)
            gen, theta, current = best
            work[1] = original[:d] + [gen] + original[d + 1:]
            x = onp.array(work[0], dtype=float)
            x[index] = theta
            work[0] = tensor(x, requires_grad=True)
        return {0: work[0], 1: work[1]}, before


def _plain(value: Any) -> Any:
    """kettle tensors as NumPy arrays: nothing is differentiated, and they travel to workers."""
    return value.view(onp.ndarray) if isinstance(value, tensor) else value


def _class_frequencies(gate: type) -> tuple[float, ...]:
    op = gate.unqueued(0.0, wires=list(range(gate.num_wires or 1)))
    return tuple(op.parameter_frequencies[0])


def _entry(option: Any, i: int, index: Index) -> Any:
    """What an option (value, ``{argnum: value}`` or ``{argnum: {index: value}}``) says for one entry."""
    if option is None:
        return None
    if not isinstance(option, dict):
        return option
    per_arg = option.get(i)
    if not isinstance(per_arg, dict):
        return per_arg
    if index in per_arg:
        return per_arg[index]
    return per_arg.get(index[0]) if len(index) == 1 else None
