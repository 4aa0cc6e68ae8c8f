"""A circuit of fixed structure whose trainable parameters arrive as a vector.

A compiled program (``kt.qjit``) or a jitted function calls the same tapes again and again with
new numbers. Going through tapes costs Python work per gate on every call — binding new
parameters into copies of the operators, classifying the gates, looking up the plan, building each
gate's matrix, assembling the Jacobian from tape layouts — which for a 6-qubit, 20-layer circuit
is ~15 ms against ~0.5 ms of simulation. :class:`Circuit` does that work once per structure: per
call it computes the gates' numbers from the parameter vector (vectorized per gate family),
runs the plan and the adjoint sweep with them, and returns the expectation values and their
Jacobian as arrays.

Covered: tapes the engine runs (:func:`simulate.eligible`), without state preparation, whose
measurements are expectation values the sweep handles, whose parametrized gates are in the
table of :mod:`.scalar_gates`, in float64. Anything else keeps the tape path.
"""
from __future__ import annotations

import numpy as np

from kettle.core import measurements as m
from kettle.core.ops.matrix_ops import BasisState, StatePrep
from kettle.core.ops.parametric import RX, RY, RZ, PhaseShift, Rot
from kettle.devices.engine import apply as A
from kettle.devices.engine import adjoint as EA
from kettle.devices.engine import config
from kettle.devices.engine import plan as PL
from kettle.devices.engine import sweep as SW
from kettle.devices.engine.scalar_gates import SCALAR
from kettle.devices.engine.simulate import FUSE_MIN_QUBITS, eligible, structure


def _rx(t):
    c, s = np.cos(t[:, 0] / 2), np.sin(t[:, 0] / 2)
    out = np.empty((t.shape[0], 2, 2), complex)
    out[:, 0, 0] = out[:, 1, 1] = c
    out[:, 0, 1] = out[:, 1, 0] = -1j * s
    return out


def _ry(t):
    c, s = np.cos(t[:, 0] / 2), np.sin(t[:, 0] / 2)
    out = np.empty((t.shape[0], 2, 2), complex)
    out[:, 0, 0] = out[:, 1, 1] = c
    out[:, 0, 1], out[:, 1, 0] = -s, s
    return out


def _rz(t):
    h = np.exp(0.5j * t[:, 0])
    return np.stack([np.conj(h), h], axis=1)


def _phase(t):
    return np.stack([np.ones(t.shape[0], complex), np.exp(1j * t[:, 0])], axis=1)


def _rot(t):  # RZ(ω) RY(θ) RZ(φ)
    phi, theta, omega = t[:, 0], t[:, 1], t[:, 2]
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    out = np.empty((t.shape[0], 2, 2), complex)
    out[:, 0, 0] = np.exp(-0.5j * (phi + omega)) * c
    out[:, 0, 1] = -np.exp(0.5j * (phi - omega)) * s
    out[:, 1, 0] = np.exp(-0.5j * (phi - omega)) * s
    out[:, 1, 1] = np.exp(0.5j * (phi + omega)) * c
    return out


#: gate class -> (its kernel family, the family's numbers for a block of parameter rows)
VECTOR = {RX: ("dense", _rx), RY: ("dense", _ry), RZ: ("diag", _rz),
          PhaseShift: ("diag", _phase), Rot: ("dense", _rot)}


#: most bytes of states a batch of rows holds at once (:meth:`Circuit.expvals_rows`)
ROW_BYTES = 2 ** 26


class _Uncovered(Exception):
    """A parametrized gate outside the tables, or an observable outside the sweep's terms."""


class _Pool:
    """Every gate's numbers in one flat array per parameter vector (the pool), and per unfused
    run the positions of its program's numbers in it: a run's numbers are then one indexing of
    the pool — for one vector or rows of them — with no Python per gate. U†'s numbers are the
    conjugated pool read through transposed positions."""

    def __init__(self, arrays: list, structure: tuple, groups: list, singles: list):
        self.structure = structure
        self.groups, self.singles = groups, singles
        self.shapes = [np.shape(a) for a in arrays]
        self.offsets = np.cumsum([0] + [int(np.size(a)) for a in arrays])
        self.x = int(self.offsets[-1])  # the X matrix of flips, after the gates
        self.template = np.empty(self.x + 4, np.complex128)
        for g, a in enumerate(arrays):
            self.template[self.offsets[g]:self.offsets[g + 1]] = np.reshape(a, -1)
        self.template[self.x:] = PL._X.reshape(-1)
        # per group, its gates' pool positions (gates x numbers)
        self.spans = [self.offsets[gidx][:, None] + np.arange(self.offsets[gidx[0] + 1]
                                                              - self.offsets[gidx[0]])
                      for _, gidx, _, _, _ in groups]

    def index(self, run, reverse: bool = False) -> np.ndarray:
        """Pool positions of an unfused run's numbers; ``reverse``: a run of the reversed circuit
        taking U†'s numbers (the adjoint sweep's)."""
        if not isinstance(run, PL.Run):
            return np.zeros(0, np.int64)
        last = len(self.shapes) - 1
        idx = np.zeros(max(run.mats_size, 1), np.int64)
        for step, kind, start, size in run.slots:
            if size == 0:
                continue
            g = last - step[0] if reverse else step[0]
            local = np.arange(size)
            if PL.takes_x(kind, self.structure[g][0]):
                base = self.x
            else:
                base = int(self.offsets[g])
            if reverse and kind not in ("diag", "cdiag"):  # (U†)[r, c] = conj(U[c, r])
                d = int(round(np.sqrt(size)))
                local = (local % d) * d + local // d
            idx[start:start + size] = base + local
        return idx

    def fill(self, thetas: np.ndarray) -> np.ndarray:
        """(rows, pool size): the numbers at every row of ``thetas``."""
        count = thetas.shape[0]
        pool = np.repeat(self.template[None], count, axis=0)
        for (fn, gidx, values, mask, take), span in zip(self.groups, self.spans):
            vals = np.where(mask, thetas[:, take], values)  # (rows, gates, width)
            out = fn(vals.reshape(-1, values.shape[1]))
            pool[:, span] = out.reshape(count, len(gidx), -1)
        for g, fn, moving, consts in self.singles:
            lo, hi = self.offsets[g], self.offsets[g + 1]
            for r, th in enumerate(thetas):
                arr = np.asarray(fn(*(float(th[t]) if t is not None else c
                                      for t, c in zip(moving, consts))), np.complex128)
                pool[r, lo:hi] = arr.reshape(-1)[-(hi - lo):]  # cdiag: the target's two
        return pool

    def array(self, pool: np.ndarray, g: int) -> np.ndarray:
        """Gate ``g``'s numbers of its family, read from one row of the pool."""
        return pool[self.offsets[g]:self.offsets[g + 1]].reshape(self.shapes[g])


class Circuit:
    """One tape's structure, run with new trainable parameters per call.

    Build with :meth:`of`; :meth:`expvals` and :meth:`expvals_and_jacobian` take the tape's
    trainable parameters (in ``tape.trainable_params`` order) as a float64 vector.
    """

    @classmethod
    def of(cls, tape, device) -> "Circuit | None":
        """The bound circuit of ``tape`` (parameters as numbers, any values) on ``device``'s
        engine, or None when the tape is not one this module covers."""
        options = device.engine_options
        if not options.engine or not tape.shots.analytic or not eligible(tape, options):
            return None
        if any(isinstance(op, (StatePrep, BasisState)) for op in tape.operations):
            return None
        if not all(isinstance(mp, m.ExpectationMP) for mp in tape.measurements):
            return None
        if any(np.ndim(p) != 0 for p in tape.get_parameters()):
            return None
        gates = {id(op) for op in tape.operations}
        if any(id(tape.get_operation(t)[0]) not in gates for t in range(len(tape.trainable_params))):
            return None  # a trainable observable parameter: the tape path differentiates it
        try:
            return cls(tape, device, options)
        except _Uncovered:
            return None

    def __init__(self, tape, device, options):
        self.options = options
        self.wire_order = device.circuit_wires(tape)
        n = self.n = len(self.wire_order)
        index = {w: i for i, w in enumerate(self.wire_order)}
        self.gates = list(tape.operations)
        self.axes_of = [tuple(index[w] for w in op.wires) for op in self.gates]
        self.structure = structure(self.gates, self.axes_of)
        # a state that fits one tile runs unfused (padded runs: fusing saves no pass there, and
        # measured at 10-14 qubits the unfused plan was faster); its numbers then come from the
        # pool (_Pool) with no Python per gate
        fuse = options.fusion and n >= FUSE_MIN_QUBITS and n > options.tile_bits
        self.runs = PL.build(self.structure, n, fuse, options.max_fused, options.tile_bits)
        self.measurements = list(tape.measurements)
        # per measurement, its observable's terms: [(coefficient, Pauli word or dense matrix)]
        self.terms = [SW._terms(mp.obs, n, self.wire_order) for mp in self.measurements]
        if any(t is None for t in self.terms):
            raise _Uncovered("an observable the sweep's terms do not cover")
        # per trainable parameter: (gate index, position in the gate's data)
        gate_of = {id(op): g for g, op in enumerate(self.gates)}
        trainable = [tape.get_operation(t) for t in range(len(tape.trainable_params))]
        where = {(gate_of[id(op)], k): t for t, (op, k) in enumerate(trainable)}
        self.n_params = len(trainable)
        # the gates' numbers: constants once; parametrized gates by family, per call
        self.constant: list = [None] * len(self.gates)
        groups: dict = {}
        self.singles: list = []  # (gate, function, [(trainable index or None, constant)])
        for g, op in enumerate(self.gates):
            kind = self.structure[g][0]
            moving = [where.get((g, k)) for k in range(len(op.data))]
            if all(t is None for t in moving):
                self.constant[g] = A.array_of(op, kind, np.complex128)
                continue
            spec = VECTOR.get(type(op))
            if spec is not None and spec[0] == kind:
                groups.setdefault(type(op), []).append((g, moving, [float(p) for p in op.data]))
                continue
            fn = SCALAR.get(type(op))
            if fn is None or A.kind(op) != kind:
                raise _Uncovered(op.name)
            self.singles.append((g, fn, moving, [float(p) for p in op.data]))
        self.groups = []
        for typ, rows in groups.items():
            gidx = np.array([g for g, _, _ in rows], np.int64)
            width = len(rows[0][2])
            values = np.array([v for _, _, v in rows], np.float64).reshape(len(rows), width)
            mask = np.array([[t is not None for t in mv] for _, mv, _ in rows]).reshape(values.shape)
            take = np.array([[t if t is not None else 0 for t in mv] for _, mv, _ in rows],
                            np.int64).reshape(values.shape)
            self.groups.append((VECTOR[typ][1], gidx, values, mask, take))
        self.pool = _Pool(self._arrays(np.zeros(self.n_params)), self.structure, self.groups,
                          self.singles)
        self._forward = None if fuse else [self.pool.index(r) for r in self.runs]
        # the rows' plan: unfused (fused block matrices would be built row by row in Python)
        self.row_runs = PL.build(self.structure, n, False, options.max_fused, options.tile_bits)
        self._row_index = [self.pool.index(r) for r in self.row_runs]
        run_of = {i: r for r, run in enumerate(self.row_runs)
                  for step in (run.steps if isinstance(run, PL.Run) else [run]) for i in step}
        self._param_run = [run_of[gate_of[id(op)]] for op, _ in trainable]
        positions: dict[int, list[int]] = {}
        for t, (op, _) in enumerate(trainable):
            positions.setdefault(id(op), []).append(t)
        self.program = None
        try:
            EA.check_adjoint_tape(tape)
            adjoint = EA.supported(tape)
        except Exception:  # not an adjoint tape: the values only (the tape path raises it)
            adjoint = False
        if adjoint:
            self.program = SW.program(self.gates, self.structure, n, self.wire_order, positions,
                                      EA._generator, EA._generator_key, options.tile_bits)
        self._sweep_index = (None if self.program is None else
                             [self.pool.index(r, reverse=True) for r in self.program.runs])

    @property
    def differentiable(self) -> bool:
        """Whether :meth:`expvals_and_jacobian` is available (the sweep covers the generators)."""
        return self.program is not None

    def _arrays(self, theta: np.ndarray) -> list:
        """Per gate, its numbers at ``theta`` (once, for the pool's layout and constants; per
        call the pool computes them, :meth:`_Pool.fill`)."""
        arrays = list(self.constant)
        for fn, gidx, values, mask, take in self.groups:
            vals = np.where(mask, theta[take], values)
            for g, a in zip(gidx.tolist(), fn(vals)):
                arrays[g] = a
        for g, fn, moving, consts in self.singles:
            arr = np.asarray(fn(*(float(theta[t]) if t is not None else c
                                  for t, c in zip(moving, consts))), np.complex128)
            # a controlled diagonal's kernel takes the target's two entries (apply.array_of)
            arrays[g] = arr[-2:] if self.structure[g][0] == "cdiag" else arr
        return arrays

    def _blocks(self, count: int):
        """Row ranges of at most ROW_BYTES of states each (at least one row)."""
        per = max(1, ROW_BYTES // (16 * 2 ** self.n))
        return [(lo, min(lo + per, count)) for lo in range(0, count, per)]

    def _measure_rows(self, states: np.ndarray) -> np.ndarray:
        """(rows, measurements) expectation values of the rows of ``states``."""
        from kettle.devices.engine import reductions as R
        from kettle.devices.engine.measure import expval

        out = np.zeros((states.shape[0], len(self.measurements)))
        for k, (mp, terms) in enumerate(zip(self.measurements, self.terms)):
            if all(term[0] == "pauli" for _, term in terms):
                for coeff, (_, xmask, zmask) in terms:
                    out[:, k] += (coeff * R.pauli_form_rows(states, xmask, zmask)).real
            else:  # a dense observable: row by row
                out[:, k] = [expval(mp, psi, self.n, self.wire_order, 0) for psi in states]
        return out

    def _from(self, start: np.ndarray, first: int, thetas: np.ndarray) -> np.ndarray:
        """Expectation values of the rows of ``thetas`` run from the state ``start`` through the
        row runs from ``first`` on (row blocks of bounded memory, each through the programs in
        one call)."""
        out = np.empty((thetas.shape[0], len(self.measurements)))
        for lo, hi in self._blocks(thetas.shape[0]):
            states = np.repeat(start[None], hi - lo, axis=0)
            self._run_rows(states, first, None, self.pool.fill(thetas[lo:hi]))
            out[lo:hi] = self._measure_rows(states)
        return out

    def _run_rows(self, states, first: int, last: int | None, pool: np.ndarray) -> None:
        runs = self.row_runs
        # rows run in parallel as a large state's gates do (config.DEFAULT_PARALLEL_MIN), by
        # the amplitudes of all rows together
        chunks = config.chunks(states.size, self.options.threads, config.DEFAULT_PARALLEL_MIN)
        chunks = min(chunks, states.shape[0])
        for r in range(first, len(runs) if last is None else last):
            run = runs[r]
            if isinstance(run, PL.Run):
                PL.run_rows(states, run, pool[:, self._row_index[r]], chunks)
            else:  # a gate wider than a program holds, row by row
                kind, axes, nc = self.structure[run[0]]
                for psi, numbers in zip(states, pool):
                    A.apply_array(psi, self.n, axes, kind, self.pool.array(numbers, run[0]), 0,
                                  nc)

    def expvals_rows(self, thetas) -> np.ndarray:
        """The expectation values at every row of ``thetas`` (rows x measurements)."""
        thetas = np.asarray(thetas, np.float64).reshape(-1, self.n_params)
        start = np.zeros(2 ** self.n, np.complex128)
        start[0] = 1
        return self._from(start, 0, thetas)

    def shift_jacobian(self, theta, recipes: list) -> tuple[np.ndarray, np.ndarray]:
        """(expectation values, Jacobian by shift rules): ``recipes[t]`` is trainable parameter
        ``t``'s ``(coefficients, shifts)`` (:func:`gradients.rules.shift_rule`), or None for a
        zero column.

        Every shifted circuit runs, but not the part it shares with the unshifted one: a
        circuit shifted in a gate of run ``r`` starts from the unshifted state before run ``r``,
        so the unshifted circuit advances run by run and each run's shifted circuits go on from
        there together, as rows (memory: that state and a block of rows)."""
        from kettle.gradients.rules import combine

        theta = np.asarray(theta, np.float64)
        rows: dict[int, list] = {}
        where = []
        for t, recipe in enumerate(recipes):
            if recipe is None:
                continue
            coeffs, xs = recipe
            r = self._param_run[t]
            bucket = rows.setdefault(r, [])
            where.append((t, coeffs, r, len(bucket), len(xs)))
            for x in xs:
                row = theta.copy()
                row[t] += x
                bucket.append(row)
        psi = np.zeros((1, 2 ** self.n), np.complex128)
        psi[0, 0] = 1
        values = {}
        base = self.pool.fill(theta[None])
        for r in range(len(self.row_runs)):
            if r in rows:
                values[r] = self._from(psi[0], r, np.array(rows[r]))
            self._run_rows(psi, r, r + 1, base)
        jac = np.zeros((len(self.measurements), self.n_params))
        for t, coeffs, r, start, count in where:
            jac[:, t] = combine(coeffs, list(values[r][start:start + count]))
        return self._measure_rows(psi)[0], jac

    def _state(self, theta: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
        """(the state at ``theta``, its parallel ranges, the pool of numbers)."""
        psi = np.zeros(2 ** self.n, np.complex128)
        psi[0] = 1
        chunks = config.chunks(psi.size, self.options.threads)
        gate_chunks = config.chunks(psi.size, self.options.threads, config.DEFAULT_PARALLEL_MIN)
        pool = self.pool.fill(theta[None])[0]
        if self._forward is None:  # fused: block matrices from every gate's numbers
            arrays = [self.pool.array(pool, g) for g in range(len(self.gates))]
            PL.execute(psi, self.n, self.gates, self.axes_of, self.structure, self.runs,
                       gate_chunks, arrays)
            return psi, chunks, pool
        wide = {run[0]: self.pool.array(pool, run[0]) for run in self.runs
                if not isinstance(run, PL.Run)}
        PL.execute(psi, self.n, self.gates, self.axes_of, self.structure, self.runs, gate_chunks,
                   [wide.get(g) for g in range(len(self.gates))] if wide else None,
                   mats=[pool[i] for i in self._forward])
        return psi, chunks, pool

    def expvals(self, theta) -> np.ndarray:
        """The expectation values at ``theta``."""
        from kettle.devices.engine.measure import expval

        psi, chunks, _ = self._state(np.asarray(theta, np.float64))
        out = [expval(mp, psi, self.n, self.wire_order, chunks) for mp in self.measurements]
        return np.array([float(v) for v in out])

    def expvals_and_jacobian(self, theta) -> tuple[np.ndarray, np.ndarray]:
        """(expectation values, their Jacobian: measurements x trainable parameters)."""
        from kettle.devices.engine.adjoint import _bra

        theta = np.asarray(theta, np.float64)
        psi, chunks, pool = self._state(theta)
        bras = [_bra(psi, self.n, mp.obs, self.wire_order, chunks) for mp in self.measurements]
        results = np.array([np.vdot(psi, b).real for b in bras])
        inverse = np.conj(pool)  # U†'s numbers: conjugates, transposed by the index (_Pool)
        jac = SW.sweep(self.program, self.gates, psi, bras, self.n_params, chunks,
                       mats=[inverse[i] for i in self._sweep_index], as_array=True)
        return results, jac.reshape(len(results), self.n_params)
