"""JAX adapter: every execution is one host call, its derivative a ``jax.custom_jvp``.

All tapes of one execution run on the host in one ``jax.pure_callback`` (``device.execute`` on
NumPy values: default.qubit's compiled engine), so the program JAX traces holds one call however
many gates the circuits have. The JVP rule multiplies a Jacobian by the tangents (JAX transposes
that for reverse mode); the Jacobian is a second host call running the QNode's diff method on the
device, for the parameters whose tangent is not a symbolic zero only. Under ``jax.vmap`` both calls
get the whole batch at once (``vmap_method="expand_dims"``): the forward pass runs it as one
broadcast tape, the Jacobian as one list of tapes.

The same registration serves ``jax.jit``/``jax.vmap`` of QNodes and QNodes inside ``kt.qjit``
(``config.compiled``). The shared pieces (running tapes on the config's executor, the method's
Jacobian function, the errors) come from the adapter skeleton, interfaces/boundary.py. Higher
derivatives: the host Jacobian's own JVP
is JAX's derivative of the method's Jacobian traced on the tracers (parameter-shift's gradient
tapes run through this function again, adjoint's sweep runs on the tracers) — to any order inside
``kt.qjit``, up to ``max_diff`` outside it.
"""
from __future__ import annotations

import copy
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

from kettle.core.config import ExecutionConfig
from kettle.core.tape import QuantumTape
from kettle.devices import seeding
from kettle.interfaces import boundary, flatten
from kettle.interfaces.boundary import check_scalar_parameters, second_derivative_error

#: how pure_callback sees a vmapped batch: unbatched operands get a leading axis of size 1.
VMAP_METHOD = "expand_dims"


def trainable_indices(tape: QuantumTape) -> list[int]:
    """Floating-point tracers are differentiated; concrete arrays are not being traced."""
    return [i for i, p in enumerate(tape.get_parameters(trainable_only=False))
            if isinstance(p, jax.core.Tracer) and jnp.issubdtype(p.dtype, jnp.inexact)]


def held_tracers(tapes: Sequence[QuantumTape]) -> list:
    """Tracers the tapes hold besides their trainable parameters: integer parameters and run-time
    wires (a ``kt.for_loop`` index). They are explicit operands of the host call and of the
    custom JVP, which must not close over tracers of an enclosing loop or branch."""
    seen, out = set(), []
    for t in tapes:
        trainable = set(t.trainable_params)
        values = [p for i, p in enumerate(t.get_parameters(trainable_only=False))
                  if i not in trainable]
        values += [w for obj in (*t.operations, *t.measurements) for w in obj.wires]
        for v in values:
            if isinstance(v, jax.core.Tracer) and id(v) not in seen:
                seen.add(id(v))
                out.append(v)
    return out


def rebound(tapes: Sequence[QuantumTape], held: list, new_held: Sequence,
            params: Sequence) -> list[QuantumTape]:
    """The tapes with ``held`` tracers replaced by ``new_held`` (wherever they sit: parameters,
    wires, nested operators) and the trainable parameters by ``params``."""
    if held:
        memo = {id(old): new for old, new in zip(held, new_held)}
        for t in tapes:  # everything else traced is kept as it is, not copied
            for p in t.get_parameters(trainable_only=False):
                memo.setdefault(id(p), p)
        # operators only: the tapes' own wire lists are rebuilt from them (a run-time wire may
        # turn out to equal another)
        parts = copy.deepcopy([(t.operations, t.measurements) for t in tapes], memo)
        tapes = [t.copy(operations=ops, measurements=meas) for t, (ops, meas) in zip(tapes, parts)]
    return flatten.bind(tapes, params)


def _host_value(value):
    """A callback operand as the tapes want it: integer scalars (wires) as Python ints."""
    arr = np.asarray(value)
    return int(arr) if arr.ndim == 0 and arr.dtype.kind in "iu" else arr


def _restricted(tapes: Sequence[QuantumTape], counts: Sequence[int], active: Sequence[int]):
    """(per tape, the flat indices of its active parameters; the tapes that have some, with
    ``trainable_params`` cut down to them)."""
    per_tape, subs, start = [], [], 0
    for t, n in zip(tapes, counts):
        mine = [k - start for k in active if start <= k < start + n]
        per_tape.append([start + j for j in mine])
        if mine:
            sub = t.copy()
            sub.trainable_params = [t.trainable_params[j] for j in mine]
            subs.append(sub)
        start += n
    return per_tape, subs


def _jacobian_matrix(per_tape, subs, jacs, templates, xp):
    """(flat output size, active params) matrix from tape-layout Jacobians (``xp``: numpy on the
    host, jax.numpy on tracers)."""
    sizes = [flatten.size_of(tm) for tm in templates]
    total, row, blocks = sum(sizes), 0, []
    it = iter(zip(subs, jacs))
    for idx, tmpl, size in zip(per_tape, templates, sizes):
        if idx:
            sub, jac = next(it)
            for col in flatten.columns(jac, len(idx), tmpl):
                col = xp.ravel(xp.asarray(col))
                blocks.append(xp.concatenate([xp.zeros(row, col.dtype), col,
                                              xp.zeros(total - row - size, col.dtype)]))
        row += size
    return xp.stack(blocks, axis=1) if blocks else xp.zeros((total, 0))


def _packed(args: Sequence) -> tuple[list, list]:
    """Floating-point scalars of one dtype stacked into one operand (a callback's operands cross
    one by one: 360 gate angles cost more than the simulation). Returns the new operands and
    per new operand the original positions it carries (a list: a stack; an int: itself)."""
    groups: dict = {}
    for i, a in enumerate(args):
        if jnp.ndim(a) == 0 and jnp.issubdtype(jnp.result_type(a), jnp.floating):
            groups.setdefault(jnp.result_type(a), []).append(i)
    stacked = {i for g in groups.values() if len(g) > 1 for i in g}
    out, where = [], []
    for g in groups.values():
        if len(g) > 1:
            out.append(jnp.stack([args[i] for i in g]))
            where.append(g)
    for i, a in enumerate(args):
        if i not in stacked:
            out.append(a)
            where.append(i)
    return out, where


def _unpacked(values: Sequence, where: Sequence, count: int) -> list:
    """The callback's operands back in their original order (a stack split on its last axis)."""
    out: list = [None] * count
    for v, w in zip(values, where):
        if isinstance(w, list):
            for j, i in enumerate(w):
                out[i] = v[..., j]
        else:
            out[w] = v
    return out


def host_call(fn, specs: Sequence, *args) -> tuple:
    """``jax.pure_callback(fn, specs, *args)`` that keeps float64 operands and results float64.

    JAX converts a callback's operands and checks its results under the x64 setting of the
    thread the callback runs in, and XLA may run it on a thread of its own, where ``kt.qjit``'s
    ``enable_x64`` context does not reach: float64 operands would arrive as float32 and float64
    results be refused. float64 values therefore cross as pairs of uint32 words (a dtype no
    setting changes), bitcast bit for bit on either side. Scalar operands cross stacked
    (:func:`_packed`); ``fn`` sees them one by one.
    """
    count = len(args)
    args, where = _packed(args)
    wide = [jnp.dtype(s.dtype) == jnp.float64 for s in specs]
    wire = [jax.ShapeDtypeStruct(tuple(s.shape) + (2,), jnp.uint32) if w else s
            for s, w in zip(specs, wide)]
    sent = [jnp.result_type(a) == jnp.float64 for a in args]
    args = [jax.lax.bitcast_convert_type(a, jnp.uint32) if w else a for a, w in zip(args, sent)]

    def host(*values):
        values = [np.ascontiguousarray(v).view(np.float64)[..., 0] if w else v
                  for v, w in zip(values, sent)]
        outs = fn(*_unpacked(values, where, count))
        return tuple(np.ascontiguousarray(o, dtype=np.float64).view(np.uint32).reshape(
            np.shape(o) + (2,)) if w else o for o, w in zip(outs, wide))

    outs = jax.pure_callback(host, tuple(wire), *args, vmap_method=VMAP_METHOD)
    return tuple(jax.lax.bitcast_convert_type(o, jnp.float64) if w else o
                 for o, w in zip(outs, wide))


def _distinct(params: Sequence) -> tuple[list, list[int]]:
    """(the distinct tracers, per parameter the position of its tracer among them)."""
    where: dict = {}
    unique, param_of = [], []
    for p in params:
        if id(p) not in where:
            where[id(p)] = len(unique)
            unique.append(p)
        param_of.append(where[id(p)])
    return unique, param_of


class _Batch:
    """The vmapped batch a host call received: operands with extra leading axes.

    Attributes:
        shape: the batch shape (leading axes), () when the call is not batched.
        size: the number of batch entries.
        batched: per operand, whether it varies over the batch.
    """

    def __init__(self, values: Sequence, base_ndims: Sequence[int]):
        leads = [np.shape(v)[:np.ndim(v) - nd] for v, nd in zip(values, base_ndims)]
        self.shape = np.broadcast_shapes(*leads) if any(leads) else ()
        self.size = int(np.prod(self.shape))
        self.batched = [any(d != 1 for d in lead) for lead in leads]
        self._values = []
        for v, lead, b in zip(values, leads, self.batched):
            v = np.asarray(v)
            base = v.shape[len(lead):]
            if b:  # one leading axis over the whole batch
                v = np.broadcast_to(v, tuple(self.shape) + base).reshape((self.size,) + base)
            else:
                v = v.reshape(base)
            self._values.append(v)

    @property
    def values(self) -> list:
        """The operands, batched ones with a single leading batch axis."""
        return self._values

    def entry(self, b: int) -> list:
        return [v[b] if batched else v for v, batched in zip(self._values, self.batched)]

    def shaped(self, flat: np.ndarray) -> np.ndarray:
        """(size, ...) results back to the batch shape (entry results broadcast to it)."""
        return flat.reshape(tuple(self.shape) + flat.shape[1:])


def _flat_batch(results, templates, size: int, dtype) -> np.ndarray:
    """(batch size, flat output size) from the results of broadcast tapes; results that do not
    depend on the batch (a tape without batched parameters) are repeated."""
    rows = []
    for res, tmpl in zip(results, templates):
        for leaf, shape in zip(flatten.leaves(res), flatten.leaves(tmpl)):
            leaf = np.asarray(leaf)
            if leaf.shape == tuple(shape):
                leaf = np.broadcast_to(leaf, (size,) + leaf.shape)
            leaf = leaf.reshape(size, -1)
            rows += [leaf.real, leaf.imag] if shape.is_complex else [leaf.real]
    return (np.concatenate(rows, axis=1) if rows else np.zeros((size, 0))).astype(dtype)


def _bound_circuits(tapes: Sequence[QuantumTape], device, size: int) -> list | None:
    """The device's bound circuits of ``tapes`` (devices/engine/bound.py), or None unless every
    tape has one and the results are one expectation value per measurement."""
    make = getattr(device, "bound_circuit", None)
    if make is None:
        return None
    out = []
    for t in tapes:
        if any(jnp.ndim(p) != 0 for p in t.get_parameters()):
            return None
        probe = t.bind_new_parameters([np.float64(0.0)] * len(t.trainable_params))
        c = make(probe)
        if c is None:
            return None
        out.append(c)
    if sum(len(t.measurements) for t in tapes) != size:
        return None
    return out


def _shift_recipes(tapes: Sequence[QuantumTape], shifts) -> list | None:
    """Per tape, per trainable parameter, its shift rule (gradients/param_shift.py), or None
    when a parameter has none (the tape path's fallback differentiates it)."""
    from kettle.gradients.param_shift import recipe_of

    out = []
    for t in tapes:
        rules = [recipe_of(t, k, shifts) for k in range(len(t.trainable_params))]
        if any(r is None for r in rules):
            return None
        out.append(rules)
    return out


def execute(tapes: Sequence[QuantumTape], device, config: ExecutionConfig) -> list:
    """Results of ``tapes`` as JAX values, differentiable by the QNode's method.

    Args:
        tapes: tapes whose floating-point tracers are the trainable parameters.
        device: the device; it runs NumPy values on the host.
        config: the execution config: method, options, ``max_diff`` (the highest derivative
            order outside ``kt.qjit``), ``compiled`` (inside it: any order), executor.
    """
    jac_fn = boundary.jacobian_fn(config, device)
    max_diff, compiled = config.max_diff, config.compiled

    # a device seeded with a JAX key draws on the host from a child key passed in as the last
    # operand (its own key may be a tracer, which a host call must not touch)
    keyed = seeding.callback_key(device) is not None
    current_key: list = [None]

    def run_tapes(ts):
        with seeding.using_key(device, current_key[0]):
            return boundary.run(device, ts, config)

    def keyed_host(fn):
        """``fn`` of the operands without the key, with the key in force while it runs."""
        if not keyed:
            return fn

        def call(*values):
            current_key[0] = values[-1]
            try:
                return fn(*values[:-1])
            finally:
                current_key[0] = None

        return call

    tapes = flatten.with_trainable(list(tapes), trainable_indices)
    params = [p for t in tapes for p in t.get_parameters()]
    n = len(params)
    counts = [len(t.trainable_params) for t in tapes]
    # one operand per distinct tracer (a value used by many gates is passed once): the program
    # grows with the number of distinct parameters, not with the number of gates
    dedupe = not any(t.batch_size for t in tapes)
    unique, param_of = _distinct(params) if dedupe else (params, list(range(n)))
    held = held_tracers(tapes)
    if compiled and held and "jax" in device.capabilities.backprop_interfaces:
        # a loop index or run-time wire reaches the circuit: JAX inlines a custom JVP whose
        # operands vary inside a loop when it differentiates the loop twice, which a host call
        # cannot survive, so these circuits are simulated on the tracers instead
        from kettle.interfaces.jax_traced import execute as traced_execute

        return traced_execute(tapes, device, jac_fn, jac_fn.method)
    operands = [*unique, *held]
    n_u = len(unique)
    base_ndims = [jnp.ndim(v) for v in operands]
    key_operand = [seeding.callback_key(device)] if keyed else []
    templates = [flatten.result_template(t, len(device.circuit_wires(t))) for t in tapes]
    size = sum(flatten.size_of(tm) for tm in templates)
    dtype = jnp.finfo(jnp.result_type(float, *params)).dtype  # float32 params stay float32
    higher = compiled or max_diff > 1
    broadcastable = (device.capabilities.broadcasting and not any(t.batch_size for t in tapes)
                     and all(t.shots.analytic for t in tapes))

    def bind_all(values, to_param, to_held):
        return rebound(tapes, held, [to_held(v) for v in values[n_u:]],
                       [to_param(values[param_of[k]]) for k in range(n)])

    def on_host(values) -> list[QuantumTape]:
        return bind_all(values, np.asarray, _host_value)

    def expanded(active_u):
        """The tape parameters moved by the active operands, and the (params, operands) matrix
        that sums their Jacobian columns per operand."""
        active = [k for k in range(n) if param_of[k] in active_u]
        where = {u: j for j, u in enumerate(active_u)}
        fold = np.zeros((len(active), len(active_u)))
        for i, k in enumerate(active):
            fold[i, where[param_of[k]]] = 1.0
        return active, fold

    def _forward_batch(batch: _Batch) -> np.ndarray:
        """(batch size, flat output size) results of a vmapped batch from one device call."""
        if broadcastable and not any(batch.batched[n_u:]):  # one broadcast tape per tape
            return _flat_batch(run_tapes(on_host(batch.values)), templates, batch.size, dtype)
        per_entry = [on_host(batch.entry(b)) for b in range(batch.size)]  # or every entry's tapes
        results = run_tapes([t for entry in per_entry for t in entry])
        k = len(tapes)
        return np.stack([flatten.flat_numpy(results[b * k:(b + 1) * k], dtype)
                         for b in range(batch.size)])

    # tapes the device can run as bound circuits (parameters as vectors, no tapes per call);
    # an executor (config's or device's) keeps the tapes: it is where they must run
    executor = config.executor is not None or getattr(device, "executor", None) is not None
    circuits = (None if (held or keyed or not dedupe or executor)
                else _bound_circuits(tapes, device, size))
    # the adjoint Jacobian from them too (the device's own derivatives: default.qubit's sweep)
    bound_jacobian = (circuits is not None and config.method.device_kind == "adjoint"
                      and all(c.differentiable for c in circuits))
    # or parameter-shift's: every shifted circuit as one row of one batched run per circuit
    recipes = (_shift_recipes(tapes, config.options.get("shifts"))
               if circuits is not None and config.method.name == "parameter-shift" else None)
    starts = np.cumsum([0] + counts)

    # bound circuits get the operands as one vector (scalars of one dtype, stacked once when
    # traced): unpacking hundreds of scalar operands on the host costs more than simulating
    as_vector = (circuits is not None and n_u > 0 and not key_operand
                 and all(jnp.ndim(v) == 0 for v in operands)
                 and len({jnp.result_type(v) for v in operands}) == 1)
    picks = [np.array(param_of[starts[i]:starts[i + 1]], np.int64) for i in range(len(tapes))]

    def thetas(values):
        vec = np.asarray(values, np.float64)
        return [vec[p] for p in picks]

    def vector_in(values):
        """(the one operand vector, or None when split back into operands: under vmap)."""
        if not as_vector:
            return None, values
        vec = np.asarray(values[0])
        if vec.ndim == 1:
            return vec, None
        return None, [vec[..., j] for j in range(vec.shape[-1])]

    def operands_out(values):
        return (jnp.stack(values),) if as_vector else values

    def bound_forward(values):
        return np.concatenate([c.expvals(th) for c, th in
                               zip(circuits, thetas(values))]).astype(dtype)

    def host_forward(*values):
        vec, values = vector_in(values)
        if vec is not None:
            return bound_forward(vec)
        batch = _Batch(values, base_ndims)
        if not batch.shape:
            if circuits is not None:
                return bound_forward(batch.values)
            return flatten.flat_numpy(run_tapes(on_host(batch.values)), dtype)
        return batch.shaped(_forward_batch(batch))

    def bound_layout(active):
        """Per circuit: (its active parameters, their columns among ``active``, and with
        parameter-shift the rules of the active ones, None for the others)."""
        col = {k: j for j, k in enumerate(active)}
        out = []
        for i in range(len(tapes)):
            ts = [t for t in range(counts[i]) if starts[i] + t in col]
            rules = None if recipes is None else [r if starts[i] + t in col else None
                                                  for t, r in enumerate(recipes[i])]
            out.append((np.array(ts, np.int64),
                        np.array([col[starts[i] + t] for t in ts], np.int64), rules))
        return out

    def bound_both(values, active, fold, layout):
        """Results and the (size, active operands) Jacobian from the bound circuits: the
        adjoint sweep's, or the shift rules' over the active parameters."""
        outs, mat, row = [], np.zeros((size, len(active))), 0
        for c, th, (ts, js, rules) in zip(circuits, thetas(values), layout):
            res, jac = (c.expvals_and_jacobian(th) if rules is None
                        else c.shift_jacobian(th, rules))
            mat[row:row + len(res), js] = jac[:, ts]
            outs.append(res)
            row += len(res)
        return np.concatenate(outs).astype(dtype), (mat @ fold).astype(dtype)

    @jax.custom_jvp
    def run(*values):
        return host_call(keyed_host(lambda *v: (host_forward(*v),)),
                         [jax.ShapeDtypeStruct((size,), dtype)], *operands_out(values))[0]

    def run_jvp(primals, tangents):
        active_u = [u for u in range(n_u) if not isinstance(tangents[u], SymbolicZero)]
        if not active_u:
            out = run(*primals)
            return out, jnp.zeros_like(out)
        active, fold = expanded(active_u)
        for sub in _restricted(tapes, counts, active)[1]:  # here, not inside the host call,
            check_scalar_parameters(sub, jac_fn.method)      # which would wrap the error
        out, jac = _with_jacobian(primals, active, fold)
        return out, _contract(jac, tangents, active_u)

    def _with_jacobian(primals, active, fold):
        """Results and their (size, active operands) Jacobian from one host call, which is
        differentiable again when allowed."""
        use_bound = bound_jacobian or recipes is not None
        layout = bound_layout(active) if use_bound else None

        def host_both(*values):
            vec, values = vector_in(values)
            if vec is not None and use_bound:
                return bound_both(vec, active, fold, layout)
            if vec is not None:
                values = list(vec)
            batch = _Batch(values, base_ndims)
            if use_bound and not batch.shape:
                return bound_both(batch.values, active, fold, layout)
            entries = [batch.values] if not batch.shape else [batch.entry(b)
                                                              for b in range(batch.size)]
            forward = [on_host(e) for e in entries]
            bound = [_restricted(f, counts, active) for f in forward]
            forward = [t for f in forward for t in f]
            all_subs = [s for _, subs in bound for s in subs]
            first: list = []

            def execute_fn(gradient_tapes):  # the results ride along the gradient tapes
                res = run_tapes(forward + list(gradient_tapes))
                first.append(res[:len(forward)])
                return res[len(forward):]

            method = config.method
            if method.device_kind is not None and config.executor is None and \
                    len(all_subs) == len(forward):  # the device's own derivatives: one call
                from kettle.core.diff_methods import replicate_per_shot_entry

                method.warn_about_shots(all_subs)
                results, jacs = device.execute_and_compute_derivatives(all_subs,
                                                                       method.device_kind)
                first.append(results)
                jacs = [replicate_per_shot_entry(t, j, method) for t, j in zip(all_subs, jacs)]
            else:
                jacs = jac_fn(all_subs, execute_fn)
            mats, start = [], 0
            for per_tape, subs in bound:
                mat = _jacobian_matrix(per_tape, subs, jacs[start:start + len(subs)],
                                       templates, np)
                mats.append((mat @ fold).astype(dtype))
                start += len(subs)
            if not batch.shape:
                results = first[0] if first else run_tapes(forward)
                return flatten.flat_numpy(results, dtype), mats[0]
            if first:
                k = len(tapes)
                outs = np.stack([flatten.flat_numpy(first[0][b * k:(b + 1) * k], dtype)
                                 for b in range(batch.size)])
            else:
                outs = _forward_batch(batch)
            return batch.shaped(outs), batch.shaped(np.stack(mats))

        spec = (jax.ShapeDtypeStruct((size,), dtype),
                jax.ShapeDtypeStruct((size, fold.shape[1]), dtype))

        @jax.custom_jvp
        def both_call(*values):
            return host_call(keyed_host(host_both), spec, *operands_out(values))

        @both_call.defjvp
        def both_jvp(p, t):
            if not higher:
                raise second_derivative_error()
            # the results move as run's JVP says; the Jacobian as its traced form's derivative
            out, out_dot = jax.jvp(run, p, t)
            jac, jac_dot = jax.jvp(lambda *v: _traced_jacobian(v, active, fold), p, t)
            return (out, jac), (out_dot, jac_dot)

        return both_call(*primals)

    def _traced_jacobian(values, active, fold):
        """The same Jacobian as JAX code on the tracers (for derivatives of derivatives)."""
        per_tape, subs = _restricted(bind_all(values, lambda v: v, lambda v: v), counts, active)
        jacs = jac_fn(subs, lambda ts: execute(ts, device, config.lower()))
        mat = _jacobian_matrix(per_tape, subs, jacs, templates, jnp)
        return (mat @ jnp.asarray(fold, mat.dtype)).astype(dtype)

    # per parameter of a broadcast tape: each flat result position's batch entry (-1: none)
    offsets = np.cumsum([0] + [flatten.size_of(tm) for tm in templates])
    row_maps, batched = [], []
    for t, tm, start in zip(tapes, templates, offsets):
        rows = None
        if t.batch_size:
            rows = np.full(size, -1)
            rows[start:start + flatten.size_of(tm)] = flatten.batch_rows(tm)
        row_maps += [rows] * len(t.trainable_params)
        batched += flatten.batched_params(t)

    def _contract(jac, tangents, active_u):
        """J·t: plain parameters as one vector product; a broadcast tape's batched parameter
        moves only its own entry's rows (operands are the parameters then: no deduplication)."""
        plain = [j for j, u in enumerate(active_u) if not batched[u]]
        out = jnp.zeros(size, dtype)
        if plain:
            vec = jnp.stack([jnp.asarray(tangents[active_u[j]], dtype) for j in plain])
            cols = jac if len(plain) == len(active_u) else jac[:, np.asarray(plain)]
            out = out + cols @ vec
        for j, k in enumerate(active_u):
            if batched[k]:
                rows = row_maps[k]
                spread = jnp.where(rows >= 0, jnp.asarray(tangents[k], dtype)[np.maximum(rows, 0)],
                                   0)
                out = out + jac[:, j] * spread
        return out

    run.defjvp(run_jvp, symbolic_zeros=True)
    return flatten.unflatten(run(*operands, *key_operand), templates)


def classical_jacobian(fn, args: Sequence, argnums: Sequence[int]) -> list:
    """∂fn/∂args[i] for i in ``argnums`` (traceable: works under jit and nested derivatives)."""
    return list(jax.jacobian(fn, argnums=tuple(argnums))(*args))
