"""Riemannian gradient flow on the special unitary group (Wiersema & Killoran 2022).

The cost is E(U) = ⟨ψ0|U†HU|ψ0⟩. Instead of training gate angles, the optimizer moves U itself:
each step appends a unitary exp(−iε Σ_j ω_j P_j) to the circuit, where the P_j are Pauli words
spanning su(2ⁿ) (or a chosen subalgebra) and

    ω_j = i⟨ψ|[H, P_j]|ψ⟩ = −d/dt ⟨ψ|e^{itP_j} H e^{−itP_j}|ψ⟩ at t = 0,

so that E decreases by ε Σ_j ω_j² to first order. For a Pauli word, P² = 1 and
e^{−itP} = cos t − i sin t P, so

    f(t) = ⟨e^{itP} H e^{−itP}⟩ = cos²t⟨H⟩ + sin²t⟨PHP⟩ + ½ sin 2t · i⟨[P, H]⟩

and exactly ω_j = f(−π/4) − f(π/4): two circuits per word, each the current circuit followed by
exp(±iπ/4 P_j).
"""
from __future__ import annotations

import inspect
import itertools
from typing import Any, Callable, Sequence

import numpy as onp

from kettle.core import measurements as m
from kettle.core import qmath, queuing
from kettle.core.operator import Observable, Operation
from kettle.core.ops.matrix_ops import QubitUnitary
from kettle.core.ops.pauli_rot import PauliRot, pauli_word_matrix
from kettle.core.ops.observables import Hamiltonian, Tensor
from kettle.core.qnode import QNode
from kettle.core.tape import QuantumTape
from kettle.errors import OptimizerError
from kettle.optimize.base import OptimizeResult, _progress_bar, check_positive, check_positive_int

#: the largest number of qubits for the full algebra su(2ⁿ) (4ⁿ − 1 words, 2 circuits each)
MAX_FULL_ALGEBRA_QUBITS = 6

#: |ω_j| below which the Trotter product leaves the rotation out (rounding noise of a zero)
_NEGLIGIBLE = 1e-12
_OBSERVABLE_LETTERS = {"PauliX": "X", "PauliY": "Y", "PauliZ": "Z", "Identity": "I"}


class LieAlgebraOptimizer:
    """Riemannian gradient flow of ⟨ψ|H|ψ⟩ over unitaries, by appending exp(−iε Σ ω_j P_j).

    The optimizer keeps the circuit's gates fixed and grows a list of unitaries applied after them.
    Each step measures ω_j = i⟨ψ|[H, P_j]|ψ⟩ for every Pauli word P_j of the basis with two circuits
    (see the module docstring), then appends exp(−iε Σ_j ω_j P_j): as one :class:`QubitUnitary` on
    the words' wires when ``exact=True``, else as ``trottersteps`` repetitions of the product of
    :class:`PauliRot` gates exp(−iεω_j P_j / trottersteps) (words with |ω_j| < 1e-12 left out).

    The circuit is the optimizer's state, so unlike the :class:`Optimizer` subclasses it is given
    once, to the constructor, and ``step``, ``step_and_cost`` and ``minimize`` take no cost or
    arguments.

    Args:
        circuit: a QNode without arguments and without trainable gate parameters that returns
            ``kt.expval(H)`` of one observable (a Hamiltonian, say).
        stepsize: ε > 0.
        restriction: Pauli words spanning the directions to move in: a Hamiltonian (its terms; the
            coefficients do not matter), an observable, or a sequence of observables or strings with
            one letter I, X, Y, Z per device wire (``"XZ"``). Default: all 4ⁿ − 1 words of su(2ⁿ).
            The appended unitaries then lie in the group the words generate.
        exact: whether to exponentiate the step exactly rather than by a Trotter product.
        trottersteps: the number of Trotter repetitions when ``exact=False``.

    Raises:
        OptimizerError: ``circuit`` is not a QNode, takes arguments, has trainable gate parameters
            or returns something other than one expval; a bad stepsize or trottersteps; a
            restriction that is not made of Pauli words on the device's wires; more than
            ``MAX_FULL_ALGEBRA_QUBITS`` (6) wires without a restriction.

    Example:
        >>> H = -1.0 * kt.PauliZ(0) @ kt.PauliZ(1) - 0.5 * kt.PauliX(0)
        >>> @kt.qnode(kt.device("default.qubit", wires=2))
        ... def circuit():
        ...     kt.RX(0.1, wires=0)
        ...     return kt.expval(H)
        >>> opt = kt.LieAlgebraOptimizer(circuit, stepsize=0.1, exact=True)
        >>> for _ in range(50):
        ...     circuit, energy = opt.step_and_cost()
        >>> ground = -(1.0 + 0.5 ** 2) ** 0.5
        >>> bool(abs(float(circuit()) - ground) < 1e-3)
        True
    """

    def __init__(self, circuit: QNode, stepsize: float = 0.01, *,
                 restriction: Any = None, exact: bool = False, trottersteps: int = 1):
        name = self.name
        if not isinstance(circuit, QNode):
            raise OptimizerError(f"{name} needs a QNode, got {circuit!r}", optimizer=name,
                                 value=circuit)
        self.stepsize = stepsize
        if not isinstance(exact, bool):
            raise OptimizerError(f"{name}: exact must be True or False, got {exact!r}",
                                 optimizer=name, value=exact)
        trottersteps = check_positive_int(name, "trottersteps", trottersteps)
        self.exact = exact
        self.trottersteps = int(trottersteps)
        self._qnode = circuit
        self._tape = _checked_tape(circuit, name)
        self.device = circuit.device
        self.wires = list(self.device.circuit_wires(self._tape))  # a device may take them from the circuit
        if restriction is None:
            n = len(self.wires)
            if n > MAX_FULL_ALGEBRA_QUBITS:
                raise OptimizerError(
                    f"{name}: the full algebra su(2^{n}) of device '{self.device.name}' has "
                    f"4^{n} − 1 = {4 ** n - 1} Pauli words (two circuits each per step); at most "
                    f"{MAX_FULL_ALGEBRA_QUBITS} qubits are allowed without a restriction; pass "
                    "restriction= (a Hamiltonian or a list of Pauli words)", optimizer=name,
                    value=n)
            words = ["".join(w) for w in itertools.product("IXYZ", repeat=n)][1:]
        else:
            words = _restriction_words(restriction, self.wires, name)
        self.basis: tuple[str, ...] = tuple(words)
        self._support = [[k for k, c in enumerate(w) if c != "I"] for w in words]
        used = sorted({k for s in self._support for k in s})
        self._algebra_wires = [self.wires[k] for k in used]
        self._unitaries: list[Operation] = []

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def stepsize(self) -> float:
        return self._stepsize

    @stepsize.setter
    def stepsize(self, value: float) -> None:
        self._stepsize = check_positive(self.name, "stepsize", value)

    @property
    def unitaries(self) -> tuple[Operation, ...]:
        """The operations appended so far, in order."""
        return tuple(self._unitaries)

    @property
    def circuit(self) -> QNode:
        """The current circuit: the original gates, then the appended unitaries, measuring H."""
        base, ops = self._qnode, tuple(self._unitaries)

        def evolved():
            result = base.func()
            for op in ops:
                queuing.queue(op.with_parameters(op.data))
            return result

        evolved.__name__ = getattr(base.func, "__name__", "circuit")
        return QNode(evolved, base.device, interface=base.interface, diff_method=base.diff_method,
                     **base.gradient_kwargs)

    def reset(self) -> None:
        """Drop the appended unitaries: back to the original circuit."""
        self._unitaries.clear()

    # ---------------------------------------------------------------- measurements
    def _with(self, extra: Sequence[Operation] = ()) -> QuantumTape:
        t = self._tape
        ops = list(t.operations) + self._unitaries + list(extra)
        return QuantumTape(ops, t.measurements, shots=t.shots)

    def _run(self, tapes: list[QuantumTape]) -> list[float]:
        results = self.device.execute([self.device.preprocess(t) for t in tapes])
        return [float(onp.real(qmath.to_numpy(r[0]))) for r in results]

    def cost(self) -> float:
        """⟨ψ|H|ψ⟩ of the current circuit (one circuit)."""
        return self._run([self._with()])[0]

    def riemannian_gradient(self) -> onp.ndarray:
        """ω_j = i⟨ψ|[H, P_j]|ψ⟩ for the words of :attr:`basis`, measured with two circuits each."""
        tapes = []
        with queuing.stop_recording():
            for word, support in zip(self.basis, self._support):
                letters = "".join(word[k] for k in support)
                wires = [self.wires[k] for k in support]
                for t in (-onp.pi / 4, onp.pi / 4):  # exp(−itP) = PauliRot(2t)
                    tapes.append(self._with([PauliRot(2 * t, letters, wires)]))
        values = onp.array(self._run(tapes))
        return values[0::2] - values[1::2]

    # ---------------------------------------------------------------- steps
    def _step_operations(self, omegas: onp.ndarray) -> list[Operation]:
        eps = self.stepsize
        with queuing.stop_recording():
            if self.exact:
                positions = [self.wires.index(w) for w in self._algebra_wires]
                generator = sum(w * pauli_word_matrix("".join(word[k] for k in positions))
                                for w, word in zip(omegas, self.basis))
                vals, vecs = onp.linalg.eigh(generator)
                unitary = (vecs * onp.exp(-1j * eps * vals)) @ vecs.conj().T
                return [QubitUnitary(unitary, wires=self._algebra_wires, unitary_check=False)]
            r = self.trottersteps
            layer = [PauliRot(2 * eps * w / r, "".join(word[k] for k in support),
                              [self.wires[k] for k in support])
                     for w, word, support in zip(omegas, self.basis, self._support)
                     if abs(w) > _NEGLIGIBLE]
            return [op.with_parameters(op.data) for _ in range(r) for op in layer]

    def step(self) -> QNode:
        """Measure the Riemannian gradient and append one step to the circuit.

        Returns:
            The new circuit (see :attr:`circuit`), a QNode without arguments.
        """
        self._unitaries += self._step_operations(self.riemannian_gradient())
        return self.circuit

    def step_and_cost(self) -> tuple[QNode, float]:
        """Like :meth:`step`, also returning the cost before the step (one more circuit).

        Returns:
            ``(new_circuit, cost_before_step)``.
        """
        before = self.cost()
        return self.step(), before

    def minimize(self, *, steps: int = 100, tol: float | None = None,
                 callback: Callable | None = None, progress: bool = True) -> OptimizeResult:
        """Take up to ``steps`` steps and record the cost.

        Args:
            steps: the largest number of steps.
            tol: stop once the cost changes by less than ``tol`` between two iterates.
            callback: called as ``callback(k, circuit, cost)`` after ``k`` steps; returning True
                stops the loop.
            progress: show a progress bar when running in a terminal or a notebook.

        Returns:
            An :class:`OptimizeResult` whose ``x`` is the final circuit and ``history[k]`` the cost
            after ``k`` steps.

        Raises:
            OptimizerError: ``steps`` is not a positive integer or ``tol`` is negative.
        """
        steps = check_positive_int(f"{self.name}.minimize", "steps", steps)
        if tol is not None:
            tol = check_positive(self.name, "tol", tol, allow_zero=True)
        history = [self.cost()]
        converged, message = False, f"reached steps={steps}"
        bar = _progress_bar(progress, steps, self.name)
        try:
            if callback is not None and callback(0, self.circuit, history[0]):
                message = "stopped by the callback"
                steps = 0
            for k in range(1, steps + 1):
                self.step()
                history.append(self.cost())
                bar.set_postfix(cost=f"{history[-1]:.8g}", refresh=False)
                bar.update(1)
                if callback is not None and callback(k, self.circuit, history[-1]):
                    message = "stopped by the callback"
                    break
                if tol is not None and abs(history[-1] - history[-2]) < tol:
                    converged, message = True, f"cost changed by less than tol={tol:g}"
                    break
        finally:
            bar.close()
        return OptimizeResult(x=self.circuit, cost=history[-1], history=history,
                              n_steps=len(history) - 1, converged=converged, message=message)


# -------------------------------------------------------------------- validation
def _checked_tape(circuit: QNode, owner: str) -> QuantumTape:
    """The circuit's tape, checked to be argument-free, untrainable and to measure one expval."""
    fname = getattr(circuit.func, "__name__", "the circuit")
    required = [p.name for p in inspect.signature(circuit.func).parameters.values()
                if p.default is inspect.Parameter.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if required:
        raise OptimizerError(
            f"{owner} needs a circuit without arguments, but {fname} takes {required}; fix their "
            "values (functools.partial or a closure): the optimizer moves the state with appended "
            "unitaries, not by training gate parameters", optimizer=owner, value=circuit)
    tape, _ = circuit.construct((), {})
    for op in tape.operations:
        if any(getattr(p, "requires_grad", False) is True for p in op.data):
            raise OptimizerError(
                f"{owner}: {fname} has a trainable parameter in {op.name} on wires "
                f"{list(op.wires)}; the optimizer does not train gate parameters, so give fixed "
                "values (np.array(..., requires_grad=False) or plain floats)", optimizer=owner,
                value=op)
    mps = tape.measurements
    if len(mps) != 1 or not isinstance(mps[0], m.ExpectationMP) or mps[0].obs is None:
        got = ", ".join(repr(mp) for mp in mps)
        raise OptimizerError(
            f"{owner} needs a circuit that returns the expectation value of one observable "
            f"(kt.expval(H)); {fname} returns {got}", optimizer=owner, value=mps)
    if tape.shots.has_vector:
        raise OptimizerError(f"{owner} does not support shot vectors; give the device one number "
                             "of shots", optimizer=owner, value=tape.shots)
    return tape


def _restriction_words(restriction: Any, wires: list, owner: str) -> list[str]:
    """Distinct non-identity Pauli words (one letter per device wire) of a restriction."""
    if isinstance(restriction, Hamiltonian):
        terms = list(restriction.ops)
    elif isinstance(restriction, (str, Observable)):
        terms = [restriction]
    else:
        try:
            terms = list(restriction)
        except TypeError:
            terms = [restriction]
    words: list[str] = []
    for term in terms:
        word = _word_of(term, wires, owner)
        if set(word) != {"I"} and word not in words:
            words.append(word)
    if not words:
        raise OptimizerError(f"{owner}: the restriction {restriction!r} holds no Pauli word other "
                             "than the identity; give words such as kt.PauliZ(0) @ kt.PauliX(1) or "
                             "'ZX'", optimizer=owner, value=restriction)
    return words


def _word_of(term: Any, wires: list, owner: str) -> str:
    n = len(wires)
    if isinstance(term, str):
        if len(term) != n or set(term.upper()) - set("IXYZ"):
            raise OptimizerError(
                f"{owner}: the restriction word {term!r} must have one letter I, X, Y or Z for "
                f"each of the device's {n} wires {wires}", optimizer=owner, value=term)
        return term.upper()
    factors = term.obs if isinstance(term, Tensor) else [term]
    letters = ["I"] * n
    for f in factors:
        letter = _OBSERVABLE_LETTERS.get(getattr(f, "name", None))
        if letter is None:
            raise OptimizerError(
                f"{owner}: the restriction term {term!r} is not a Pauli word; use tensor products "
                "of PauliX, PauliY, PauliZ (e.g. kt.PauliZ(0) @ kt.PauliX(1)) or strings such as "
                "'ZX'", optimizer=owner, value=term)
        for w in f.wires:
            if w not in wires:
                raise OptimizerError(
                    f"{owner}: the restriction term {term!r} acts on wire {w!r}, but the device "
                    f"has wires {wires}", optimizer=owner, value=term)
            letters[wires.index(w)] = letter
    return "".join(letters)
