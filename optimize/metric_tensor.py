"""The Fubini–Study metric tensor of a QNode's circuit.

For a state |ψ(θ)⟩ the metric is g_ij = Re⟨∂_iψ|∂_jψ⟩ − Re(⟨∂_iψ|ψ⟩⟨ψ|∂_jψ⟩), the real part of the
quantum geometric tensor, so that |⟨ψ(θ)|ψ(θ+δ)⟩|² = 1 − δᵀgδ + O(δ³). For gates U = exp(−iθG) it is
computed three ways:

* within a layer of gates that can act at the same time (disjoint wires, nothing in between on their
  wires) it is exactly the covariance ⟨G_iG_j⟩ − ⟨G_i⟩⟨G_j⟩ on the state before the layer, measured by
  one circuit per layer (rotate into the generators' eigenbases, sample probabilities);
  ``approx="block-diag"`` keeps only these blocks, ``approx="diag"`` only their diagonals;
* ``approx=None`` on a state-vector simulator without shots: by one adjoint-style sweep over the
  gates that carries the state and the vectors G_iψ (see :func:`metric_from_adjoint`), or from the
  simulated state and its Jacobian by autograd (backprop, ``strategy="state"``);
* ``approx=None`` otherwise: the off-block entries as −½ ∂_i∂_j of the fidelity
  |⟨0|U(θ)†U(θ+δ)|0⟩|², measured by compute-uncompute circuits and differentiated exactly with the
  gates' shift rules.

With respect to the QNode's arguments x the metric is Jᵀ g J, J = ∂θ/∂x the classical Jacobian.
"""
from __future__ import annotations

import functools
import itertools
from typing import Any, Callable, Sequence

import autograd
import autograd.numpy as anp
import numpy as onp

from kettle.core import qmath, queuing
from kettle.core.measurements import expval, probs, state
from kettle.core.ops.matrix_ops import BasisState, StatePrep
from kettle.core.ops.observables import Projector
from kettle.core.qnode import QNode
from kettle.core.tape import QuantumTape
from kettle.devices import dispatch
from kettle.devices.qubit_measure import StateView, apply_observable
from kettle.errors import OperatorError, OptimizerError
from kettle.gradients.rules import shift_rule
from kettle.optimize.base import ArgNum, as_trainable, select_trainable
from kettle.optimize.circuit_params import gate_parameters

APPROXIMATIONS = (None, "block-diag", "diag")
STRATEGIES = ("auto", "adjoint", "state", "circuits")
_HINT = ("the metric tensor supports gates with a generator (rotations such as RX, CRZ, IsingXX, and "
         "templates built from them)")


def metric_tensor(qnode: QNode, approx: str | None = "block-diag", *, argnum: ArgNum = None,
                  strategy: str = "auto") -> Callable:
    """The Fubini–Study metric of a QNode's state with respect to its trainable arguments.

    Args:
        qnode: the QNode (its measurements do not matter, only the state its gates prepare).
        approx: None for the full metric, "block-diag" for the blocks of gates in one layer, "diag"
            for the diagonal only.
        argnum: the arguments to differentiate (default: those with ``requires_grad=True``).
        strategy: for ``approx=None``: "adjoint" (one sweep over the gates with the device's
            kernel; needs a state-vector simulator with adjoint differentiation and no shots),
            "state" (simulated state and autograd; needs a state-vector device without shots),
            "circuits" (device circuits only; works with shots), or "auto" (the first of these
            that the device and circuit allow).

    Returns:
        A function of the QNode's arguments. For one trainable argument of shape ``s`` it returns an
        array of shape ``s + s``; for several, a tuple of tuples of blocks ``g[a][b]`` of shape
        ``s_a + s_b``.

    Raises:
        OptimizerError: ``qnode`` is not a QNode, an unknown option, a strategy the device or the
            circuit does not allow (such as "adjoint" with shots), or a circuit whose trainable
            arguments set something other than gate angles.

    Example:
        >>> dev = kt.device("default.qubit", wires=1)
        >>> @kt.qnode(dev)
        ... def circuit(x):
        ...     kt.RX(x[0], wires=0)
        ...     kt.RY(x[1], wires=0)
        ...     return kt.expval(kt.PauliZ(0))
        >>> g = kt.metric_tensor(circuit, approx="block-diag")(np.array([0.0, 0.3]))
        >>> g.round(4).tolist()  # RX on |0⟩: Var(X/2) = 1/4; RY after RX(0): Var(Y/2) = 1/4
        [[0.25, 0.0], [0.0, 0.25]]
    """
    if not isinstance(qnode, QNode):
        raise OptimizerError(f"metric_tensor needs a QNode, got {qnode!r}", value=qnode)
    if approx not in APPROXIMATIONS:
        raise OptimizerError(f"metric_tensor: approx must be one of {APPROXIMATIONS}, got {approx!r}",
                             value=approx)
    if strategy not in STRATEGIES:
        raise OptimizerError(f"metric_tensor: strategy must be one of {STRATEGIES}, got "
                             f"{strategy!r}", value=strategy)

    def metric(*args: Any, **kwargs: Any):
        argnums = select_trainable(args, argnum, "metric_tensor")
        args = tuple(as_trainable(a, "metric_tensor", i) if i in argnums else a
                     for i, a in enumerate(args))
        flat = flat_metric(qnode, args, kwargs, argnums, approx=approx, strategy=strategy)
        shapes = [onp.shape(args[i]) for i in argnums]
        rows = unflatten_matrix(flat, shapes)
        return rows[0][0] if len(shapes) == 1 else tuple(tuple(r) for r in rows)

    return metric


def unflatten_matrix(flat: onp.ndarray, shapes: Sequence[tuple]) -> list[list[onp.ndarray]]:
    """Blocks ``[a][b]`` of shape ``shapes[a] + shapes[b]`` of a matrix over flattened arguments."""
    sizes = [int(onp.prod(s)) for s in shapes]
    edges = onp.cumsum([0] + sizes)
    return [[flat[edges[a]:edges[a + 1], edges[b]:edges[b + 1]].reshape(tuple(sa) + tuple(sb))
             for b, sb in enumerate(shapes)] for a, sa in enumerate(shapes)]


def flat_metric(qnode: QNode, args: Sequence, kwargs: dict, argnums: Sequence[int], *,
                approx: str | None, strategy: str = "auto") -> onp.ndarray:
    """The metric over the flattened trainable arguments, shape (n, n)."""
    found = gate_parameters(qnode, args, kwargs, argnums, stop_at=_has_generator,
                            purpose="the metric tensor", hint=_HINT, allow_observables=True)
    if found.tape.batch_size is not None:
        raise OptimizerError(
            f"metric_tensor got a broadcast circuit (batch size {found.tape.batch_size}); the metric "
            "belongs to one parameter set: call it once per batch entry", value=found.tape.batch_size)
    if not found.positions:
        n = found.jacobian.shape[1]
        return onp.zeros((n, n))
    g = tape_metric(found.tape, qnode.device, approx=approx, strategy=strategy)
    return found.jacobian.T @ g @ found.jacobian


def _has_generator(op) -> bool:
    return op.num_params == 0 or (op.num_params == 1 and op.has_generator)


# ------------------------------------------------------------------------------ layers
def parameter_layers(tape: QuantumTape) -> list[list[int]]:
    """Trainable parameters (indices into ``tape.get_parameters()``) grouped in layers.

    A gate joins the current layer when no operation since the layer began (its gates included)
    touched its wires: it can then be moved back to act at the same time as the layer's first gate.
    """
    op_of = {id(tape.get_operation(t)[0]): t for t in range(tape.num_params)}
    layers: list[list[int]] = []
    touched: set = set()
    for op in tape.operations:
        t = op_of.get(id(op))
        if t is not None:
            if layers and touched.isdisjoint(op.wires):
                layers[-1].append(t)
            else:
                layers.append([t])
                touched = set()
        if layers:
            touched |= set(op.wires)
    return layers


def _first_op_index(tape: QuantumTape, t: int) -> int:
    op = tape.get_operation(t)[0]
    return next(n for n, o in enumerate(tape.operations) if o is op)


def _generator_parts(op):
    """(coefficient, observable) with G = coefficient · observable."""
    with queuing.stop_recording():
        gen = op.generator()
    coeffs, ops = getattr(gen, "coeffs", None), getattr(gen, "ops", None)
    if ops is not None and len(ops) == 1:
        return float(onp.real(onp.asarray(coeffs)[0])), ops[0]
    return 1.0, gen


def _on_wires(values: onp.ndarray, wires: Sequence, all_wires: Sequence) -> onp.ndarray:
    """A function of the basis states of ``wires`` as a vector over those of ``all_wires``."""
    n = len(all_wires)
    t = onp.reshape(values, (2,) * len(wires) + (1,) * (n - len(wires)))
    order = list(wires) + [w for w in all_wires if w not in wires]
    t = onp.transpose(t, [order.index(w) for w in all_wires])
    return onp.broadcast_to(t, (2,) * n).reshape(-1)


def _run(device, tapes: list[QuantumTape]) -> list:
    if any(t.shots.has_vector for t in tapes):
        raise OptimizerError("metric_tensor does not support shot vectors; give the device one "
                             "number of shots", value=tapes[0].shots)
    return dispatch.execute(device, [device.preprocess(t) for t in tapes])


def layer_covariances(tape: QuantumTape, device, layers: list[list[int]]) -> onp.ndarray:
    """The P×P matrix holding each layer's covariance block of generators (zeros elsewhere)."""
    tapes, plans = [], []
    with queuing.stop_recording():
        for layer in layers:
            prefix = list(tape.operations[:_first_op_index(tape, layer[0])])  # operations: a tuple
            rotations, parts, wires = [], [], []
            for t in layer:
                coeff, obs = _generator_parts(tape.get_operation(t)[0])
                rotations += list(obs.diagonalizing_gates())
                parts.append((coeff * onp.real(onp.asarray(obs.eigvals())), list(obs.wires)))
                wires += [w for w in obs.wires if w not in wires]
            tapes.append(QuantumTape(prefix + rotations, [probs(wires=wires)], shots=tape.shots))
            plans.append((layer, parts, wires))
    g = onp.zeros((tape.num_params, tape.num_params))
    for (layer, parts, wires), res in zip(plans, _run(device, tapes)):
        p = onp.asarray(res[0], dtype=float)
        eig = [_on_wires(values, w, wires) for values, w in parts]
        means = [p @ e for e in eig]
        for (a, ta), (b, tb) in itertools.product(enumerate(layer), repeat=2):
            g[ta, tb] = p @ (eig[a] * eig[b]) - means[a] * means[b]
    return g


# ------------------------------------------------------------------------------ full metric
def _state_available(device, tape: QuantumTape) -> bool:
    caps = device.capabilities
    # the full metric differentiates the simulated state with autograd (metric_from_state)
    return (tape.shots.analytic and "state" in caps.measurements
            and "autograd" in caps.backprop_interfaces)


def metric_from_state(tape: QuantumTape, device) -> onp.ndarray | None:
    """The exact metric from the simulated state vector and its Jacobian (autograd backprop), or
    None when the device's state is not a vector (a density matrix, say)."""
    with queuing.stop_recording():
        state_tape = tape.copy(measurements=[state()])
    state_tape.trainable_params = tape.trainable_params
    theta = onp.array([float(onp.real(p)) for p in tape.get_parameters()])

    def psi(v):
        bound = state_tape.bind_new_parameters(list(v))
        amp = device.execute([device.preprocess(bound)])[0][0]
        return anp.concatenate([anp.real(amp), anp.imag(amp)])

    flat = psi(theta)
    if onp.ndim(flat) != 1:
        return None
    jac = onp.asarray(autograd.jacobian(psi)(theta))
    d = flat.shape[0] // 2
    vec = flat[:d] + 1j * flat[d:]
    jc = jac[:d] + 1j * jac[d:]
    overlap = vec.conj() @ jc  # ⟨ψ|∂_jψ⟩
    return onp.real(jc.conj().T @ jc - onp.outer(overlap.conj(), overlap))


def _adjoint_available(device, tape: QuantumTape) -> bool:
    return _adjoint_obstacle(device, tape) is None


def _adjoint_obstacle(device, tape: QuantumTape) -> str | None:
    """Why the adjoint sweep cannot run (a phrase for an error message), or None."""
    if not (callable(getattr(device, "_initial_view", None)) and getattr(device, "kernel", None)
            and "adjoint" in device.capabilities.derivatives):
        return (f"device '{device.name}' is not a state-vector simulator with adjoint "
                "differentiation (such as default.qubit)")
    if not tape.shots.analytic:
        return (f"the circuit runs with shots={tape.shots.total}, and the sweep needs the exact "
                "state (shots=None)")
    if tape.batch_size is not None:
        return f"the circuit is broadcast (batch size {tape.batch_size})"
    if any(getattr(op, "control_flow", False) for op in tape.operations):
        return "the circuit holds compiled control flow"
    decomposed = [op.name for op in (tape.get_operation(t)[0] for t in range(tape.num_params))
                  if not device.supports_operation(op)]
    if decomposed:
        return f"device '{device.name}' does not apply the trainable gate(s) {decomposed} itself"
    return None


def _check_adjoint(device, tape: QuantumTape) -> None:
    why = _adjoint_obstacle(device, tape)
    if why is not None:
        raise OptimizerError(
            f"metric_tensor(strategy='adjoint') cannot run: {why}; use strategy='state' or "
            "'circuits' (or 'auto', which picks what the device allows)", value=device.name)


def metric_from_adjoint(tape: QuantumTape, device) -> onp.ndarray:
    """The exact metric from one sweep over the gates with the device's gate kernel.

    With |ψ_k⟩ the state after gate k and gate j = exp(−iθ_j G_j) at position n_j,
    ∂_jψ = V_j(−iG_j)|ψ_{n_j}⟩ where V_j holds the gates after n_j, so for n_i < n_j

        ⟨∂_iψ|∂_jψ⟩ = ⟨U_{n_j}⋯U_{n_i+1} G_i ψ_{n_i} | G_j ψ_{n_j}⟩,
        ⟨ψ|∂_jψ⟩ = −i⟨ψ_{n_j}|G_j|ψ_{n_j}⟩.

    The sweep carries the state and, from each trainable gate on, the vector G_iψ_{n_i} through
    the later gates (as one batch), and stops after the last trainable gate: (P + 2) state
    vectors in memory and one batched gate application per gate. The device must apply the
    trainable gates itself (see :func:`_adjoint_obstacle`).
    """
    trainable = [tape.get_operation(t)[0] for t in range(tape.num_params)]
    prepared = device.preprocess(tape)
    ops = [op for op in prepared.operations if not isinstance(op, (StatePrep, BasisState))]
    position = {id(op): n for n, op in enumerate(ops)}  # trainable gates are kept (checked above)
    slot_of = {id(op): t for t, op in enumerate(trainable)}
    view = device._initial_view(prepared)
    n_params = len(trainable)
    qgt = onp.zeros((n_params, n_params), dtype=complex)  # ⟨∂_iψ|∂_jψ⟩ in sweep order
    means = onp.zeros(n_params)
    order: list[int] = []
    bras = None  # row i: G_iψ_{n_i} carried through the gates since, one batch for the kernel
    last = max(position[id(op)] for op in trainable)
    for op in ops[:last + 1]:
        view = view.apply(op)
        if bras is not None:
            bras = StateView(bras, view.wire_order, True, view.kernel).apply(op).state
        t = slot_of.get(id(op))
        if t is None:
            continue
        k = len(order)
        g_psi = onp.asarray(apply_observable(view, op.generator()))
        flat = g_psi.reshape(-1)
        means[k] = onp.real(onp.vdot(view.state, g_psi))
        qgt[k, k] = onp.vdot(flat, flat)
        if bras is None:
            bras = g_psi[None]
        else:
            # conjugate the vector, not the batch (no copy of it); einsum rather than a threaded
            # BLAS call, whose start-up costs more than this small product
            qgt[:k, k] = onp.einsum("ij,j->i", bras.reshape(k, -1), flat.conj()).conj()
            bras = onp.concatenate([bras, g_psi[None]])
        order.append(t)
    qgt = onp.triu(qgt) + onp.triu(qgt, 1).conj().T
    g_sweep = onp.real(qgt) - onp.outer(means, means)
    g = onp.empty_like(g_sweep)
    g[onp.ix_(order, order)] = g_sweep
    return g


def fidelity_tape(moved: QuantumTape, base: QuantumTape, owner: str) -> QuantumTape:
    """|⟨ψ0|U_base†U_moved|ψ0⟩|² is :func:`fidelity_value` of this circuit's result.

    |ψ0⟩ is |0…0⟩, or what the circuits' state preparations make of it: these are not undone (they
    have no inverse gate); the circuit measures the projector on |ψ0⟩ instead.

    Raises:
        OptimizerError: a gate of ``base`` has no inverse (a noise channel): ``owner`` needs one.
    """
    wires = list(base.wires)
    with queuing.stop_recording():
        try:
            undo = [op.adjoint() for op in reversed(base.operations)
                    if not isinstance(op, (StatePrep, BasisState))]
        except OperatorError as err:
            raise OptimizerError(
                f"{owner} compares states through the inverse of the circuit, and {err}; it "
                "applies to circuits of unitary gates (use metric_tensor(approx='block-diag') or "
                "'diag' for noisy circuits)", value=str(err)) from err
        start = _prepared_state(base, wires)
        if start is None:
            measurement = probs(wires=wires)
        elif onp.count_nonzero(onp.abs(start) > 1e-12) == 1:
            index = int(onp.argmax(onp.abs(start)))
            bits = [(index >> (len(wires) - 1 - k)) & 1 for k in range(len(wires))]
            measurement = expval(Projector(bits, wires=wires))
        else:
            measurement = expval(Projector(start, wires=wires))
        return QuantumTape(list(moved.operations) + undo, [measurement], shots=base.shots)


def fidelity_value(result) -> float:
    """The fidelity measured by a :func:`fidelity_tape` (probability of |0…0⟩ or ⟨Π_ψ0⟩)."""
    return float(onp.real(onp.ravel(onp.asarray(result[0]))[0]))


def _prepared_state(tape: QuantumTape, wires: list) -> onp.ndarray | None:
    """The state the circuit's StatePrep/BasisState make from |0…0⟩ (over ``wires``), or None."""
    parts, covered = [], []
    for op in tape.operations:
        if isinstance(op, BasisState):
            parts.append(op.state_vector())
        elif isinstance(op, StatePrep):
            parts.append(onp.asarray(qmath.to_numpy(op.data[0]), dtype=complex))
        else:
            continue
        covered += list(op.wires)
    if not parts:
        return None
    rest = [w for w in wires if w not in covered]
    full = functools.reduce(onp.kron, parts + [onp.array([1.0, 0.0])] * len(rest))
    order = covered + rest
    return onp.transpose(full.reshape((2,) * len(wires)),
                         [order.index(w) for w in wires]).reshape(-1)


def metric_from_circuits(tape: QuantumTape, device, layers: list[list[int]]) -> onp.ndarray:
    """The exact metric from device circuits: layer covariances plus fidelity second derivatives."""
    g = layer_covariances(tape, device, layers)
    layer_of = {t: n for n, layer in enumerate(layers) for t in layer}
    theta = list(tape.get_parameters())
    pairs = [(i, j) for i, j in itertools.combinations(range(tape.num_params), 2)
             if layer_of[i] != layer_of[j]]
    tapes, recipe = [], []
    for i, j in pairs:
        rules = []
        for t in (i, j):
            op, k = tape.get_operation(t)
            rules.append(shift_rule(tuple(float(f) for f in op.parameter_frequencies[k])))
        (ci, si), (cj, sj) = rules
        terms = []
        for (a, sa), (b, sb) in itertools.product(zip(ci, si), zip(cj, sj)):
            shifted = list(theta)
            shifted[i] = theta[i] + sa
            shifted[j] = theta[j] + sb
            tapes.append(fidelity_tape(tape.bind_new_parameters(shifted), tape,
                                       "metric_tensor(approx=None)"))
            terms.append(a * b)
        recipe.append((i, j, terms))
    results = iter(_run(device, tapes)) if tapes else iter(())
    for i, j, terms in recipe:
        second = sum(c * fidelity_value(next(results)) for c in terms)
        g[i, j] = g[j, i] = -0.5 * second
    return g


def tape_metric(tape: QuantumTape, device, *, approx: str | None, strategy: str = "auto") -> onp.ndarray:
    """The metric over the trainable parameters of a tape of generator gates."""
    layers = parameter_layers(tape)
    if approx is not None:
        g = layer_covariances(tape, device, layers)
        return onp.diag(onp.diag(g)) if approx == "diag" else g
    if strategy == "adjoint":
        _check_adjoint(device, tape)
    if strategy in ("adjoint", "auto") and _adjoint_available(device, tape):
        return metric_from_adjoint(tape, device)
    if strategy == "circuits" or not _state_available(device, tape):
        if strategy == "state":
            raise OptimizerError(
                f"metric_tensor(strategy='state') needs a state-vector device without shots that "
                f"supports autograd backprop; device '{device.name}' with shots={tape.shots.total} "
                "does not qualify: use strategy='circuits' or 'auto'", value=device.name)
        return metric_from_circuits(tape, device, layers)
    g = metric_from_state(tape, device)
    if g is None:
        if strategy == "state":
            raise OptimizerError(f"device '{device.name}' does not return a state vector; use "
                                 "strategy='circuits' or 'auto'", value=device.name)
        return metric_from_circuits(tape, device, layers)
    return g
