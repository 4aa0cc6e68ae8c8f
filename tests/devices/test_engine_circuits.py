"""Whole circuits on the engine: seeded random circuits over the gate set, fusion on and off, tiles,
both precisions, and the measurements computed by reduction kernels.

References: default.qubit with ``engine=False`` (the autoray/einsum path) and dense matrices built
in tests/devices/test_engine_kernels.py's way.
"""
from __future__ import annotations

import numpy as np
import pytest

import kettle as kt
from kettle.devices.engine import config, fusion, plan, simulate
from kettle.devices.engine.simulate import EngineOptions, run

pytestmark = pytest.mark.skipif(not config.available(), reason="numba cannot compile here")

ONE = [kt.PauliX, kt.PauliY, kt.PauliZ, kt.Hadamard, kt.S, kt.T, kt.SX]
ONE_P = [kt.RX, kt.RY, kt.RZ, kt.PhaseShift]
TWO = [kt.CNOT, kt.CZ, kt.CY, kt.SWAP, kt.ISWAP]
TWO_P = [kt.CRX, kt.CRY, kt.CRZ, kt.ControlledPhaseShift, kt.IsingXX, kt.IsingYY, kt.IsingZZ]


def random_ops(rng, n, count, dtype=np.float64):
    """A seeded random circuit over the whole gate set (as unqueued operators)."""
    ops = []
    for _ in range(count):
        r = rng.random()
        x = lambda: dtype(rng.uniform(-np.pi, np.pi))  # noqa: E731
        w = [int(v) for v in rng.choice(n, size=min(n, 3), replace=False)]
        if n == 1 or r < 0.3:
            ops.append(ONE[rng.integers(len(ONE))].unqueued(wires=w[0]))
        elif r < 0.55:
            ops.append(ONE_P[rng.integers(len(ONE_P))].unqueued(x(), wires=w[0]))
        elif r < 0.6:
            ops.append(kt.Rot.unqueued(x(), x(), x(), wires=w[0]))
        elif r < 0.72:
            ops.append(TWO[rng.integers(len(TWO))].unqueued(wires=w[:2]))
        elif r < 0.9:
            ops.append(TWO_P[rng.integers(len(TWO_P))].unqueued(x(), wires=w[:2]))
        elif r < 0.94 and n >= 3:
            ops.append(kt.Toffoli.unqueued(wires=w[:3]))
        elif r < 0.97 and n >= 3:
            ops.append(kt.CSWAP.unqueued(wires=w[:3]))
        else:
            ops.append(kt.MultiRZ.unqueued(x(), wires=w))
    return ops


def circuit_of(ops, measure):
    def circuit():
        for op in ops:
            type(op)(*op.data, wires=op.wires)
        return measure()
    return circuit


def final_states(ops, n, dtype=np.complex128, **opts):
    """The engine's flat state (via simulate.run) and the generic path's, for ``ops``."""
    psi = np.zeros(2 ** n, dtype=dtype)
    psi[0] = 1
    axes = [tuple(op.wires) for op in ops]
    run(psi, n, ops, axes, EngineOptions(**opts), 0)
    dev = kt.device("default.qubit", wires=n, engine=False)
    state = kt.qnode(dev)(circuit_of(ops, kt.state))()
    return psi, np.asarray(state)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 11, 12])
def test_random_circuits_match_the_generic_path(n):
    rng = np.random.default_rng(100 + n)
    ops = random_ops(rng, n, 60)
    psi, ref = final_states(ops, n)
    np.testing.assert_allclose(psi, ref, atol=1e-12)


@pytest.mark.parametrize("tile_bits", [3, 5, 7])
@pytest.mark.parametrize("fuse", [True, False])
def test_tiles_and_fusion_equal_the_unfused_whole_state(tile_bits, fuse):
    """12 qubits in tiles of 2**3..2**7 amplitudes; fusion on and off agree to 1e-12."""
    rng = np.random.default_rng(tile_bits)
    n = 12
    ops = random_ops(rng, n, 120)
    unfused, ref = final_states(ops, n, fusion=False, tile_bits=12)
    got, _ = final_states(ops, n, fusion=fuse, tile_bits=tile_bits, max_fused=3)
    np.testing.assert_allclose(unfused, ref, atol=1e-12)
    np.testing.assert_allclose(got, unfused, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("fuse", [True, False])
def test_scheduled_runs_read_both_ways_and_equal_the_whole_state(dtype, fuse):
    """14 qubits in tiles of 2**10: gates reordered into runs (plan.schedule), tiles read as
    contiguous segments, amplitude by amplitude and in global order; the state equals the one-tile
    state."""
    rng = np.random.default_rng(21)
    n = 14
    ops = random_ops(rng, n, 150, dtype=np.float32 if dtype == np.complex64 else np.float64)
    structure = simulate.structure(ops, [tuple(op.wires) for op in ops])
    runs = [r for r in plan.build(structure, n, fuse, 2, 10) if isinstance(r, plan.Run)]
    assert len(runs) > 3
    assert {int(np.sign(r.contiguous)) for r in runs} == {1, 0, -1}
    whole, _ = final_states(ops, n, dtype=dtype, fusion=fuse, tile_bits=14)
    got, ref = final_states(ops, n, dtype=dtype, fusion=fuse, tile_bits=10)
    tol = 1e-12 if dtype == np.complex128 else 5e-5
    np.testing.assert_allclose(whole, ref, atol=tol)
    np.testing.assert_allclose(got, whole, atol=tol)


@pytest.mark.parametrize("order", [[1, 3, 5, 0, 2, 4, 6, 7, 9], [0, 2, 4, 1, 3, 5, 6, 8, 10],
                                   [4, 5, 6, 0, 1, 2, 3, 9, 11]])
def test_tiles_read_in_global_order_hold_the_local_amplitudes(order):
    """program.gather in global order (c < 0) fills each local amplitude from the state
    amplitude ``toff`` names, as reading in local order does; scatter writes them back."""
    from kettle.devices.engine import program

    n = 12
    rng = np.random.default_rng(len(order))
    psi = rng.normal(size=2 ** n) + 1j * rng.normal(size=2 ** n)
    local = np.arange(2 ** len(order))
    toff = np.zeros_like(local)
    for r, b in enumerate(order):
        toff |= ((local >> r) & 1) << b
    rest = [b for b in range(n) if b not in order]
    base = (1 << rest[0]) | (1 << rest[-1])
    for low in (plan.global_low(order), plan.STREAM_BITS):  # blocks of every low bit, or fewer
        gtab = plan.global_tables(order, low)
        re, im = np.empty(local.size), np.empty(local.size)
        program.gather(psi, base, toff, gtab, -low, re, im)
        np.testing.assert_array_equal(re + 1j * im, psi[base + toff])
        out = np.zeros_like(psi)
        program.scatter(out, base, toff, gtab, -low, 2 * re, 2 * im)
        np.testing.assert_array_equal(out[base + toff], 2 * psi[base + toff])
        assert np.count_nonzero(out) == local.size


@pytest.mark.parametrize("seed", range(5))
def test_schedule_keeps_each_bits_order_and_the_cap(seed):
    rng = np.random.default_rng(seed)
    n, cap, seed_bits = 16, 9, frozenset(range(4))
    bits = []
    for _ in range(200):
        k = int(rng.choice([1, 2, 3, 6], p=[0.45, 0.4, 0.1, 0.05]))
        bits.append(frozenset(int(b) for b in rng.choice(n, size=k, replace=False)))
    groups = plan.schedule(bits, cap, 5, seed_bits)
    flat = [i for g in groups for i in g]
    assert sorted(flat) == list(range(len(bits)))
    where = {i: t for t, i in enumerate(flat)}
    for b in range(n):
        on_b = [i for i, bs in enumerate(bits) if b in bs]
        assert [where[i] for i in on_b] == sorted(where[i] for i in on_b)
    for g in groups:
        if len(g) > 1:
            assert len(seed_bits.union(*(bits[i] for i in g))) <= cap
        assert all(len(bits[i]) <= 5 for i in g) or len(g) == 1
    # reordering packs runs: fewer than cutting the circuit where its own order overflows a run
    in_order, used = 1, set(seed_bits)
    for bs in bits:
        if len(bs) > 5:
            in_order, used = in_order + 2, set(seed_bits)
        elif len(used | bs) > cap:
            in_order, used = in_order + 1, set(seed_bits) | bs
        else:
            used |= bs
    assert len(groups) <= in_order


def test_single_precision_circuits():
    rng = np.random.default_rng(9)
    n = 11
    ops = random_ops(rng, n, 60, dtype=np.float32)
    psi, ref = final_states(ops, n, dtype=np.complex64, tile_bits=6)
    assert psi.dtype == np.complex64
    np.testing.assert_allclose(psi, ref, atol=5e-5)


def test_fusion_plan_is_computed_once_per_structure():
    rng = np.random.default_rng(10)
    ops = random_ops(rng, 11, 50)
    dev = kt.device("default.qubit", wires=11)
    plan.build.cache_clear()

    @kt.qnode(dev)
    def circuit(x):
        for op in ops:
            type(op)(*op.data, wires=op.wires)
        kt.RX(x, wires=0)
        kt.RY(x, wires=3)
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(3))

    first, second = circuit(0.1), circuit(0.7)
    info = plan.build.cache_info()  # the fused, tiled plan of the structure
    assert info.misses == 1 and info.hits == 1
    assert not np.isclose(first, second)


def test_fused_blocks_only_where_they_save_arithmetic():
    # RX, RY on wire 0 fuse (2 + 2 -> 2); a Rot does not fuse into a CNOT (2 + 0.5 -> 4)
    steps = fusion.plan((("dense", (0,)), ("dense", (0,)), ("flip", (0, 1)), ("dense", (1,))), 2)
    assert steps == (((0,), (0, 1)), (2,), (3,))
    two = fusion.plan((("dense", (0, 1)), ("dense", (1,)), ("dense", (0,))), 2)
    assert two == (((0, 1), (0, 1, 2)),)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_measurements_match_the_generic_path(dtype):
    rng = np.random.default_rng(11)
    n = 6
    ops = random_ops(rng, n, 40, dtype=dtype)
    herm = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    herm = herm + herm.conj().T
    ham = kt.Hamiltonian([0.3, -1.2, 0.5], [kt.PauliX(0) @ kt.PauliY(3), kt.PauliZ(5),
                                             kt.Hermitian(herm, wires=[4, 1])])

    def measure():
        return (kt.expval(kt.PauliZ(2)), kt.expval(kt.PauliY(4) @ kt.PauliX(1) @ kt.PauliZ(0)),
                kt.expval(kt.Hermitian(herm, wires=[3, 0])), kt.expval(ham),
                kt.expval(kt.Hadamard(5)), kt.var(kt.PauliX(3) @ kt.PauliY(2)),
                kt.var(kt.Hermitian(herm, wires=[1, 5])), kt.probs(wires=[4, 0, 2]),
                kt.probs(wires=list(range(n))),
                kt.density_matrix(wires=[5, 1]), kt.state(), kt.purity(wires=[0, 3]))

    x = dtype(0.4)

    def circuit(x):
        kt.RY(x, wires=0)
        for op in ops:
            type(op)(*op.data, wires=op.wires)
        return measure()

    engine = kt.qnode(kt.device("default.qubit", wires=n))(circuit)(x)
    generic = kt.qnode(kt.device("default.qubit", wires=n, engine=False))(circuit)(x)
    tol = 1e-12 if dtype == np.float64 else 5e-5
    for k, (a, b) in enumerate(zip(engine, generic)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, k
        np.testing.assert_allclose(a, b, atol=tol, err_msg=f"measurement {k}")


def test_expval_of_a_pauli_word_against_a_dense_reference():
    """⟨ψ|Y⊗X⊗Z|ψ⟩ on wires (2, 0, 1) of 3, from the state and a Kronecker product."""
    dev = kt.device("default.qubit", wires=3)

    @kt.qnode(dev)
    def circuit(want_state):
        kt.RX(0.3, wires=0)
        kt.RY(1.1, wires=1)
        kt.CNOT(wires=[1, 2])
        kt.RX(-0.7, wires=2)
        kt.Hadamard(wires=0)
        if want_state:
            return kt.state()
        return kt.expval(kt.PauliY(2) @ kt.PauliX(0) @ kt.PauliZ(1))

    psi = np.asarray(circuit(True))
    x = np.array([[0, 1], [1, 0]])
    y = np.array([[0, -1j], [1j, 0]])
    z = np.diag([1, -1])
    word = np.kron(np.kron(x, z), y)  # wires 0, 1, 2
    assert circuit(False) == pytest.approx(np.real(psi.conj() @ word @ psi), abs=1e-14)


def test_state_preparation_then_gates():
    vec = np.random.default_rng(12).normal(size=4) + 0j
    vec /= np.linalg.norm(vec)

    def circuit():
        kt.StatePrep(vec, wires=[2, 0])
        kt.BasisState(np.array([1]), wires=[1])
        kt.CRX(0.4, wires=[0, 1])
        kt.IsingYY(0.9, wires=[1, 2])
        return kt.state()

    a = kt.qnode(kt.device("default.qubit", wires=3))(circuit)()
    b = kt.qnode(kt.device("default.qubit", wires=3, engine=False))(circuit)()
    np.testing.assert_allclose(a, b, atol=1e-14)


def test_device_options_are_checked():
    with pytest.raises(kt.errors.DeviceError, match="max_fused=9"):
        kt.device("default.qubit", wires=2, max_fused=9)
    with pytest.raises(kt.errors.DeviceError, match="threads=0"):
        kt.device("default.qubit", wires=2, threads=0)


def test_threads_option_runs_the_parallel_kernels():
    rng = np.random.default_rng(13)
    n = 17
    ops = random_ops(rng, n, 30)

    def circuit():
        for op in ops:
            type(op)(*op.data, wires=op.wires)
        return kt.expval(kt.PauliZ(3) @ kt.PauliX(16)), kt.probs(wires=[16, 2])

    serial = kt.qnode(kt.device("default.qubit", wires=n, threads=1))(circuit)()
    parallel = kt.qnode(kt.device("default.qubit", wires=n, threads=2))(circuit)()
    for a, b in zip(serial, parallel):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_large_states_use_threads_by_default_with_the_serial_state(monkeypatch):
    """From DEFAULT_PARALLEL_MIN amplitudes the gates run on numba's threads unless told
    otherwise, and the state equals the serial one, also when two Python threads simulate at once
    (one runs its gates serially meanwhile)."""
    import threading

    from kettle.devices.engine import config, program

    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    monkeypatch.setattr(config, "DEFAULT_PARALLEL_MIN", 2 ** 17)
    launches = []
    par = program.run_tiles_par
    monkeypatch.setattr(program, "run_tiles_par", lambda *a: launches.append(1) or par(*a))
    n = 17
    ops = random_ops(np.random.default_rng(21), n, 40)

    def circuit():
        for op in ops:
            type(op)(*op.data, wires=op.wires)
        return kt.state()

    serial = kt.qnode(kt.device("default.qubit", wires=n, threads=1))(circuit)()
    assert not launches
    default = kt.qnode(kt.device("default.qubit", wires=n))(circuit)
    np.testing.assert_allclose(default(), serial, rtol=0, atol=1e-14)
    assert launches
    out: list = [None, None]

    def work(i):
        out[i] = default()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for state in out:
        np.testing.assert_allclose(state, serial, rtol=0, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_leading_one_qubit_gates_start_as_a_product_state(dtype, monkeypatch):
    """From PRODUCT_MIN_QUBITS a circuit on |0...0> starts from the product of its leading
    one-qubit gates (every single-wire family: flips, diagonals, matrices, adjoints), with the
    one-qubit gates after an entangling gate on their wire left in the circuit; the state equals
    the generic path's and the engine's without the product start."""
    from kettle.core import queuing

    n = simulate.PRODUCT_MIN_QUBITS + 1
    real = np.float32 if dtype == np.complex64 else np.float64
    x = lambda v: real(v)  # noqa: E731
    ops = [kt.PauliX.unqueued(wires=0), kt.RZ.unqueued(x(0.3), wires=0),
           kt.Hadamard.unqueued(wires=1), kt.CNOT.unqueued(wires=[2, 3]), kt.T.unqueued(wires=4),
           kt.Rot.unqueued(x(0.1), x(0.7), x(-1.2), wires=5), kt.RY.unqueued(x(0.9), wires=2),
           kt.adjoint(kt.S.unqueued(wires=6)), kt.PhaseShift.unqueued(x(0.4), wires=6),
           kt.SX.unqueued(wires=7), kt.CZ.unqueued(wires=[1, 5]), kt.RX.unqueued(x(1.1), wires=5),
           kt.IsingXX.unqueued(x(0.6), wires=[0, 8]), kt.PauliY.unqueued(wires=9),
           kt.Hadamard.unqueued(wires=8)]
    ops += random_ops(np.random.default_rng(5), n, 30, dtype=real)
    structure = simulate.structure(ops, [tuple(op.wires) for op in ops])
    leading, rest = simulate.product_prefix(structure)
    assert [i for i in leading if i < 15] == [0, 1, 2, 4, 5, 7, 8, 9, 13]
    assert sorted(leading + rest) == list(range(len(ops)))
    def circuit():
        for op in ops:
            queuing.queue(op)
        return kt.state()

    got = kt.qnode(kt.device("default.qubit", wires=n))(circuit)()
    ref = kt.qnode(kt.device("default.qubit", wires=n, engine=False))(circuit)()
    monkeypatch.setattr(simulate, "PRODUCT_MIN_QUBITS", n + 1)
    plain = kt.qnode(kt.device("default.qubit", wires=n))(circuit)()
    assert got.dtype == dtype
    tol = 1e-12 if dtype == np.complex128 else 5e-6
    np.testing.assert_allclose(got, ref, atol=tol)
    np.testing.assert_allclose(got, plain, atol=tol)


def test_product_starts_of_two_threads_share_the_parallel_slot():
    """The product start's parallel fill takes the one parallel slot as the gates do: under
    numba's workqueue layer (no concurrent parallel launches allowed) four Python threads
    simulating 17 qubits at once give the serial value (before, the process aborted)."""
    import os
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import threading
        import kettle as kt
        from kettle.devices.engine import config
        config.DEFAULT_PARALLEL_MIN = 2 ** 16
        n = 17

        def c(x):
            for w in range(n):
                kt.RY(x + w, wires=w)
            for w in range(n - 1):
                kt.CNOT(wires=[w, w + 1])
            return kt.expval(kt.PauliZ(n - 1))

        ref = float(kt.qnode(kt.device("default.qubit", wires=n, threads=1))(c)(0.3))
        errs = []

        def work():
            q = kt.qnode(kt.device("default.qubit", wires=n))(c)
            for _ in range(5):
                errs.append(abs(float(q(0.3)) - ref))

        ts = [threading.Thread(target=work) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print(len(errs), max(errs))
    """)
    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue")
    env.pop("NUMBA_NUM_THREADS", None)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    count, err = out.stdout.split()
    assert int(count) == 20 and float(err) < 1e-12
