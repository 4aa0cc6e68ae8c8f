"""Batches of tapes on concurrent.futures executors: same results as serially, bit for bit.

Dask has its own file (test_dispatch_dask.py); faults are in test_dispatch_faults.py.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import math

import numpy as np
import pytest

import kettle as kt
from kettle.devices import dispatch
from kettle.errors import DeviceError, StatePrepError


#: workers start fresh (forking a process that runs JAX or TF threads can deadlock)
SPAWN = multiprocessing.get_context("spawn")

@pytest.fixture(scope="module")
def pool():
    with cf.ProcessPoolExecutor(max_workers=2, mp_context=SPAWN) as ex:
        yield ex


@pytest.fixture(scope="module")
def threads():
    with cf.ThreadPoolExecutor(max_workers=3) as ex:
        yield ex


def _tape(x, shots=None, extra=()):
    with kt.QuantumTape(shots=shots) as tape:
        kt.RX(x, wires=0)
        kt.RY(0.3 * x, wires=1)
        kt.CNOT(wires=[0, 1])
        kt.expval(kt.PauliZ(1))
        for make in extra:
            make()
    return tape


XS = np.linspace(-2.0, 2.5, 13)


def _equal(a, b):
    """Results identical, bit for bit (dictionaries of counts equal)."""
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        assert len(ra) == len(rb)
        for x, y in zip(ra, rb):
            if isinstance(x, dict):
                assert x == y
            else:
                np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_without_an_executor_it_is_the_device_s_own_execute():
    dev = kt.device("example.qubit", wires=2)
    tapes = [dev.preprocess(_tape(x)) for x in XS]
    res = dispatch.execute(dev, tapes)
    assert dev.executions == len(XS)  # ran here, on the user's device
    # <Z1> after RX(x) on 0, RY(0.3x) on 1, CNOT: cos(x) cos(0.3x)
    np.testing.assert_allclose([r[0] for r in res], np.cos(XS) * np.cos(0.3 * XS), atol=1e-12)


@pytest.mark.parametrize("kind", ["threads", "pool"])
def test_analytic_batch_equals_serial_and_runs_on_the_workers(kind, request):
    executor = request.getfixturevalue(kind)
    dev = kt.device("example.qubit", wires=2, executor=executor)
    tapes = [dev.preprocess(_tape(x)) for x in XS]
    serial = kt.device("example.qubit", wires=2).execute(tapes)
    res = kt.execute(tapes, dev)
    _equal(res, serial)
    assert dev.executions == 0  # the plugin device was rebuilt on the workers from its name


@pytest.mark.parametrize("kind", ["threads", "pool"])
def test_parameter_shift_gradient_tapes_equal_serial(kind, request):
    executor = request.getfixturevalue(kind)
    x = 0.7
    tape = _tape(x)
    tape.trainable_params = [0, 1]
    tapes, post = kt.gradients.param_shift(tape)
    serial = post(kt.device("default.qubit", wires=2).execute(tapes))
    dev = kt.device("default.qubit", wires=2, executor=executor)
    grad = post(dispatch.execute(dev, tapes))
    np.testing.assert_allclose(np.ravel(grad), np.ravel(serial), rtol=0, atol=1e-12)
    # d/dθ0 and d/dθ1 of cos θ0 cos θ1 at (x, 0.3x)
    np.testing.assert_allclose(np.ravel(grad), [-np.sin(x) * np.cos(0.3 * x),
                                                -np.cos(x) * np.sin(0.3 * x)], atol=1e-12)


SHOT_MEASUREMENTS = (lambda: kt.sample(wires=[0]), lambda: kt.var(kt.PauliX(0)),
                     lambda: kt.counts(wires=[0, 1]), lambda: kt.probs(wires=[1]),
                     lambda: kt.sample(kt.PauliZ(1)))


def _seeded_run(executor, workers_tapes, seed=31, shot_chunk=None, **opts):
    kwargs = {} if shot_chunk is None else {"shot_chunk": shot_chunk}
    dev = kt.device("default.qubit", wires=2, seed=seed, executor=executor, **kwargs, **opts)
    first = kt.execute(workers_tapes, dev)
    second = kt.execute(workers_tapes, dev)  # the next children of the seed: fresh draws
    return first, second


SHOT_TAPES = [_tape(x, shots=300, extra=SHOT_MEASUREMENTS) for x in XS[:7]]


@pytest.mark.parametrize("kind", ["threads", "pool"])
def test_same_seed_same_shots_serially_and_on_executors(kind, request):
    executor = request.getfixturevalue(kind)
    serial = _seeded_run(None, SHOT_TAPES)
    for chunk in (1, 3, None):  # any number of tapes per task
        _equal(_seeded_run(executor, SHOT_TAPES, chunk_size=chunk)[0], serial[0])
    _equal(_seeded_run(executor, SHOT_TAPES)[1], serial[1])
    assert not np.array_equal(serial[0][0][1], serial[1][0][1])  # second batch: new samples


def test_same_seed_with_one_and_two_worker_processes():
    serial = _seeded_run(None, SHOT_TAPES)[0]
    for workers in (1, 2):
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=SPAWN) as ex:
            _equal(_seeded_run(ex, SHOT_TAPES)[0], serial)


def test_shot_chunks_equal_serial_and_add_up(pool):
    """2500 shots in chunks of 1000 (three chunks, each from its own child seed)."""
    tapes = [_tape(x, shots=2500, extra=SHOT_MEASUREMENTS) for x in (0.4, 1.9)]
    serial = _seeded_run(None, tapes, shot_chunk=1000)[0]
    _equal(_seeded_run(pool, tapes, shot_chunk=1000)[0], serial)
    for x, (ev, bits, var_x0, counts, probs, z1) in zip((0.4, 1.9), serial):
        assert bits.shape == (2500,) and z1.shape == (2500,)
        assert sum(counts.values()) == 2500
        # shot-by-shot consistency across chunks: Z(1) samples match the counts and the mean
        assert np.isclose(ev, z1.mean(), atol=1e-12)
        assert counts.get("01", 0) + counts.get("11", 0) == np.sum(z1 == -1)
        np.testing.assert_allclose(probs, [np.mean(z1 == 1), np.mean(z1 == -1)], atol=1e-12)
        # Var[X(0)] = 1 - <X0>^2 = 1 (RX leaves <X0> = 0): within 5 sigma of the pooled estimate
        assert abs(var_x0 - 1.0) < 5 * np.sqrt(2 / 2500)


def test_chunk_size_follows_the_batch_and_the_workers():
    assert dispatch.chunk_size(400, 2) == 50  # four tasks per worker
    assert dispatch.chunk_size(5, 8) == 1
    assert dispatch.chunk_size(400, 2, override=7) == 7
    assert math.ceil(400 / dispatch.chunk_size(400, 16)) == 58  # ceil(400 / 7)


def test_a_failing_tape_raises_its_own_error_with_its_index(pool):
    tapes = [_tape(x) for x in XS[:6]]
    with kt.QuantumTape() as bad:  # a state preparation after a gate fails when it runs
        kt.RX(0.1, wires=0)
        kt.StatePrep(np.array([0, 1.0]), wires=0)
        kt.expval(kt.PauliZ(0))
    tapes.insert(4, bad)
    dev = kt.device("default.qubit", wires=2, executor=pool, chunk_size=3)
    with pytest.raises(StatePrepError, match=r"^tape 4 of the batch: StatePrep on wires \[0\] must "
                                             r"come before") as info:
        dispatch.execute(dev, tapes)
    assert info.value.tape_index == 4


def test_executor_option_errors_name_the_value():
    with pytest.raises(DeviceError, match=r"got executor=42; an executor is a "
                                          r"concurrent.futures.Executor .* or a dask"):
        kt.device("default.qubit", wires=1, executor=42)
    with pytest.raises(DeviceError, match=r"chunk_size=0; it is a positive number of tapes"):
        kt.device("default.qubit", wires=1, chunk_size=0)
    with pytest.raises(DeviceError, match=r"shot_chunk=-5; it is a positive number of shots"):
        kt.device("default.qubit", wires=1, shot_chunk=-5)


def test_progress_bar_on_and_off(threads, capsys, monkeypatch):
    tapes = [_tape(x) for x in XS]
    dev = kt.device("default.qubit", wires=2, executor=threads, progress=True)
    kt.execute(tapes, dev)
    err = capsys.readouterr().err
    assert "default.qubit circuits" in err and f"/{len(XS)} [" in err
    monkeypatch.setenv("KETTLE_PROGRESS", "0")
    kt.execute(tapes, dev)
    assert capsys.readouterr().err == ""
    monkeypatch.delenv("KETTLE_PROGRESS")
    kt.execute(tapes, kt.device("default.qubit", wires=2, executor=threads, progress=False))
    assert capsys.readouterr().err == ""


def test_kt_execute_decomposes_for_the_device(pool):
    """example.qubit has no CRX: kt.execute decomposes it before the batch is sent."""
    def tape(x):
        with kt.QuantumTape() as t:
            kt.PauliX(0)
            kt.CRX(x, wires=[0, 1])
            kt.expval(kt.PauliZ(1))
        return t

    res = kt.execute([tape(x) for x in XS], kt.device("example.qubit", wires=2, executor=pool))
    np.testing.assert_allclose([r[0] for r in res], np.cos(XS), atol=1e-12)
