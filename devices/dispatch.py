"""Running a batch of tapes: in this process, on a ``concurrent.futures`` executor, or on Dask.

:func:`execute` is the one place every batch of tapes reaches a device. Without an executor it is
exactly ``device.execute(tapes)``. With one, the batch is cut into chunks of tapes that run as tasks:

- workers rebuild the device from its :class:`DeviceSpec` (registry name, wires, shots, options)
  once per worker process and keep it, so plugin devices need not be picklable;
- tapes travel with plain NumPy parameters, each with the child seed the serial path would have
  given it (devices/seeding.py), so one seed gives bit-identical results serially, on threads,
  processes and Dask, with any number of workers;
- a tape with more shots than ``device.shot_chunk`` runs as several shot chunks, combined by
  ``sampling.combine`` exactly as the device combines them itself;
- faults: Dask reschedules the tasks of a worker that died; a broken process pool is retried once on
  a fresh pool of the same size; an error raised on a worker is re-raised here with its own type,
  naming the tape's index in the batch; a cluster that stops answering is a ``DeviceError`` naming
  its scheduler after ``executor_timeout`` seconds without a finished task.

Backprop executions and programs inside ``kt.qjit`` hold framework tensors or tracers: their tapes
stay in this process (:func:`execute` runs them with ``device.execute``).
"""
from __future__ import annotations

import concurrent.futures as cf
import importlib
import math
import os
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from kettle.core import qmath
from kettle.core import measurements as m
from kettle.core.tape import QuantumTape
from kettle.devices import sampling, seeding
from kettle.errors import DeviceError, KettleError

#: device options read by this module (``kt.device(name, executor=..., ...)``), with defaults.
OPTIONS = {
    "executor": None,        # a concurrent.futures.Executor or a dask.distributed.Client
    "chunk_size": None,      # tapes per task; None: from the batch size and the number of workers
    "progress": None,        # None: a tqdm bar for batches taking over PROGRESS_DELAY s; False: none
    "executor_timeout": 300.0,  # seconds without a finished task before the cluster counts as gone
}
#: a progress bar appears once a batch has run this many seconds.
PROGRESS_DELAY = 2.0
#: tasks per worker the automatic chunk size aims at (several per worker balance the load).
TASKS_PER_WORKER = 4


def configure(device, **options: Any) -> None:
    """Set dispatch options on a device (what ``kt.device`` does with them).

    Raises:
        DeviceError: an executor of an unknown kind, or a bad option value.
    """
    for name, value in options.items():
        if name == "executor" and value is not None:
            _backend(value, device)  # checks the kind now, not at the first batch
        if name == "chunk_size" and value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise DeviceError(f"device '{device.name}' got chunk_size={value!r}; it is a positive "
                              "number of tapes per task, or None to choose it from the batch",
                              device=device.name)
        if name == "executor_timeout" and not (isinstance(value, (int, float)) and value > 0):
            raise DeviceError(f"device '{device.name}' got executor_timeout={value!r}; it is a "
                              "positive number of seconds", device=device.name)
        setattr(device, name, value)


# ---------------------------------------------------------------- the device on the workers


@dataclass(frozen=True)
class DeviceSpec:
    """What a worker needs to rebuild a device: small, picklable, hashable.

    Attributes:
        name: the registry name (``kt.device(name, ...)``).
        cls: ``module:qualname`` of the device class, used where the name is not registered.
        wires: the wire labels (None: the device takes them from each circuit).
        shots: the shot vector (empty: analytic).
        options: the device's own constructor options, as sorted (name, value) pairs.
        shot_chunk: the device's shot chunk.
    """

    name: str
    cls: str
    wires: tuple | None
    shots: tuple
    options: tuple
    shot_chunk: int

    def build(self):
        from kettle.devices import registry

        entry = registry.available_devices().get(self.name)
        module, _, qualname = self.cls.partition(":")
        cls = entry.cls if entry is not None and _path(entry.cls) == self.cls else None
        if cls is None:
            cls = importlib.import_module(module)
            for part in qualname.split("."):
                cls = getattr(cls, part)
        wires = None if self.wires is None else list(self.wires)
        dev = cls(wires, shots=list(self.shots) or None, seed=0, **dict(self.options))
        dev.shot_chunk = self.shot_chunk
        return dev


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def spec_of(device) -> DeviceSpec:
    """The :class:`DeviceSpec` of a device (its constructor options as ``kt.device`` recorded)."""
    options = getattr(device, "device_options", {})
    wires = None if device.wires is None else tuple(device.wires)  # None: from each circuit
    return DeviceSpec(device.name, _path(type(device)), wires,
                      tuple(device.shots.vector), tuple(sorted(options.items())), device.shot_chunk)


_WORKER_DEVICES: dict = {}
_WORKER_LOCK = threading.Lock()


def _worker_device(spec: DeviceSpec):
    with _WORKER_LOCK:
        dev = _WORKER_DEVICES.get(spec)
        if dev is None:
            dev = _WORKER_DEVICES[spec] = spec.build()
        return dev


def _run_chunk(spec: DeviceSpec, tapes: list, seeds: list, indices: list) -> list:
    """A task: run ``tapes`` on the worker's device with the caller's seeds."""
    dev = _worker_device(spec)
    try:
        with seeding.assigned(seeds):
            return dev.execute(tapes)
    except Exception:
        pass
    results = []
    for tape, seed, index in zip(tapes, seeds, indices):  # find the tape that fails, and say so
        try:
            with seeding.assigned([seed]):
                results += dev.execute([tape])
        except Exception as err:
            raise _naming_tape(err, index) from None
    return results  # each tape runs alone (with its own seed: the same results)


def _naming_tape(err: Exception, index: int) -> Exception:
    where = f"tape {index} of the batch"
    if isinstance(err, KettleError) and err.args and isinstance(err.args[0], str):
        err.args = (f"{where}: {err.args[0]}",) + err.args[1:]
    else:
        err.add_note(f"raised by {where}")
    err.tape_index = index
    return err


# ---------------------------------------------------------------- executors


class _Futures:
    """Any ``concurrent.futures.Executor``: thread and process pools, ``mpi4py.futures``."""

    def __init__(self, executor):
        self.executor = executor
        self.address = type(executor).__name__

    @property
    def workers(self) -> int:
        return int(getattr(self.executor, "_max_workers", None) or os.cpu_count() or 1)

    def submit(self, fn, *args):
        return self.executor.submit(fn, *args)

    def wait(self, futures, timeout):
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return done

    def result(self, future):
        return future.result()

    def fresh(self):
        """A new pool like a broken process pool (same size and start method), or None."""
        if not isinstance(self.executor, cf.ProcessPoolExecutor):
            return None
        ctx = getattr(self.executor, "_mp_context", None)
        return _Futures(cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx))


_ADDRESSES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class _Dask:
    """A ``dask.distributed.Client``, used directly."""

    def __init__(self, client):
        self.client = client
        if client.scheduler is not None:  # a closed client forgets it: remember it while open
            _ADDRESSES[client] = client.scheduler.address
        self.address = _ADDRESSES.get(client, "(unknown address)")

    @property
    def workers(self) -> int:
        info = self.client.scheduler_info() or {}  # the client's cached view: no round trip
        threads = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())
        return max(1, threads)

    def check(self, device) -> None:
        if self.client.status in ("closing", "closed"):
            raise DeviceError(
                f"the Dask client of scheduler {self.address} is {self.client.status} (its cluster "
                "is gone); connect a new dask.distributed.Client and pass it as executor=",
                device=device.name)

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def wait(self, futures, timeout):
        from distributed import wait

        try:
            return wait(futures, timeout=timeout, return_when="FIRST_COMPLETED").done
        except (TimeoutError, cf.TimeoutError):
            return set()

    def result(self, future):
        return future.result()

    def fresh(self):
        return None


def _backend(executor, device):
    if isinstance(executor, cf.Executor):
        return _Futures(executor)
    if type(executor).__module__.split(".")[0] == "distributed" and hasattr(executor, "submit"):
        backend = _Dask(executor)
        backend.check(device)
        return backend
    raise DeviceError(
        f"device '{device.name}' got executor={executor!r}; an executor is a "
        "concurrent.futures.Executor (ThreadPoolExecutor, ProcessPoolExecutor, "
        "mpi4py.futures.MPIPoolExecutor) or a dask.distributed.Client", device=device.name)


# ---------------------------------------------------------------- the batch


def _in_process(tapes: Sequence[QuantumTape]) -> bool:
    """Whether the batch must stay in this process: parameters a framework is differentiating or
    tracing (backprop, ``kt.qjit``, ``jax.jit``). NumPy values, torch tensors without gradients and
    concrete JAX arrays travel as NumPy; anything else (e.g. TF tensors, which a GradientTape may
    be watching) stays."""
    for t in tapes:
        for p in t.get_parameters(trainable_only=False):
            if qmath.backend_of(p) == "numpy" or _plain_value(p):
                continue
            return True
    return False


def _plain_value(p) -> bool:
    if qmath.is_abstract(p):
        return False
    return qmath.is_plain_value(p)


def _plain_tape(tape: QuantumTape) -> QuantumTape:
    params = tape.get_parameters(trainable_only=False)
    if all(qmath.backend_of(p) == "numpy" for p in params):
        return tape
    return tape.bind_new_parameters([qmath.to_numpy(p) for p in params], range(len(params)))


def _splittable(tape: QuantumTape, chunk: int) -> bool:
    shots = tape.shots
    return (not shots.analytic and not shots.has_vector and shots.total > chunk
            and all(type(mp) in (m.SampleMP, m.CountsMP, m.ExpectationMP, m.VarianceMP,
                                 m.ProbabilityMP) for mp in tape.measurements))


def _units(device, tapes: list, seeds: list) -> tuple[list, dict]:
    """Work units (original index, tape, seed) and, per shot-split tape, its chunk sizes."""
    units, split = [], {}
    for i, (tape, seed) in enumerate(zip(tapes, seeds)):
        if seed is not None and isinstance(seed, np.random.SeedSequence) \
                and _splittable(tape, device.shot_chunk):
            sizes = sampling.split_shots(tape.shots.total, device.shot_chunk)
            ext = sampling.augmented(tape.measurements)
            split[i] = sizes
            for s, child in zip(sizes, seed.spawn(len(sizes))):
                units.append((i, tape.copy(measurements=ext, shots=s), child))
        else:
            units.append((i, tape, seed))
    return units, split


def chunk_size(n_units: int, workers: int, override: int | None = None) -> int:
    """Tapes per task: ``override``, else enough for about TASKS_PER_WORKER tasks per worker."""
    if override:
        return override
    return max(1, math.ceil(n_units / (TASKS_PER_WORKER * max(1, workers))))


def execute(device, tapes: Sequence[QuantumTape], *, executor: Any = None) -> list:
    """Run ``tapes`` on ``device``, on ``executor`` (or ``device.executor``) when there is one.

    Args:
        device: the device (as the user made it).
        tapes: tapes already checked by ``device.preprocess``.
        executor: a ``concurrent.futures.Executor`` or a ``dask.distributed.Client``; None uses
            ``device.executor``; with neither, this is exactly ``device.execute(tapes)``.

    Returns:
        One result per tape, as ``device.execute`` gives them (NumPy arrays from workers).

    Raises:
        DeviceError: a process pool that broke twice, or a cluster that stopped answering.
        KettleError: the error a tape raised on a worker, with its index in the batch.
    """
    executor = executor if executor is not None else getattr(device, "executor", None)
    tapes = list(tapes)
    if executor is None or not tapes or _in_process(tapes):
        return device.execute(tapes)
    backend = _backend(executor, device)
    spec = spec_of(device)
    seeds = device.spawn_tape_seeds(tapes)
    units, split = _units(device, [_plain_tape(t) for t in tapes], seeds)
    size = chunk_size(len(units), backend.workers, getattr(device, "chunk_size", None))
    chunks = [units[k:k + size] for k in range(0, len(units), size)]
    outputs = _gather(backend, spec, chunks, device)
    flat = [r for out in outputs for r in out]
    results: list = [None] * len(tapes)
    parts: dict = {}
    for (i, _, _), res in zip(units, flat):
        if i in split:
            parts.setdefault(i, []).append(res)
        else:
            results[i] = res
    for i, sizes in split.items():
        combined = sampling.combine(tapes[i].measurements, parts[i], sizes,
                                    tapes[i].batch_size is not None)
        results[i] = tuple(combined)
    return results


def _progress(device, total: int):
    enabled = getattr(device, "progress", None)
    if enabled is False or os.environ.get("KETTLE_PROGRESS", "1") == "0":
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"{device.name} circuits", unit="circuit",
                delay=0 if enabled else PROGRESS_DELAY, leave=False)


def _gather(backend, spec: DeviceSpec, chunks: list, device) -> list:
    timeout = float(getattr(device, "executor_timeout", OPTIONS["executor_timeout"]))
    outputs: list = [None] * len(chunks)
    pending = {backend.submit(_run_chunk, spec, [u[1] for u in c], [u[2] for u in c],
                              [u[0] for u in c]): k for k, c in enumerate(chunks)}
    bar = _progress(device, sum(len(c) for c in chunks))
    retried = False
    try:
        while pending:
            done = backend.wait(list(pending), timeout)
            if not done:
                raise DeviceError(
                    f"the executor {backend.address} of device '{device.name}' finished no task in "
                    f"{timeout:g} s ({len(pending)} of {len(chunks)} tasks pending); is the "
                    "cluster still running? Raise executor_timeout for longer tasks",
                    device=device.name)
            for fut in done:
                k = pending.pop(fut)
                try:
                    outputs[k] = backend.result(fut)
                except cf.process.BrokenProcessPool as err:
                    fresh = None if retried else backend.fresh()
                    if fresh is None:
                        raise DeviceError(
                            f"the process pool of device '{device.name}' broke (a worker process "
                            f"died) {'again after a retry on a fresh pool' if retried else ''}; "
                            f"{len(pending) + 1} of {len(chunks)} tasks did not finish",
                            device=device.name) from err
                    retried = True
                    old, backend = backend, fresh
                    lost = [k] + [j for f, j in pending.items() if not f.done() or _broken(f)]
                    pending = {f: j for f, j in pending.items() if j not in lost}
                    for j in lost:
                        c = chunks[j]
                        pending[backend.submit(_run_chunk, spec, [u[1] for u in c],
                                               [u[2] for u in c], [u[0] for u in c])] = j
                    break
                if bar is not None:
                    bar.update(len(chunks[k]))
    finally:
        if bar is not None:
            bar.close()
        if retried:
            backend.executor.shutdown(wait=False)
    return outputs


def _broken(future) -> bool:
    return future.done() and isinstance(future.exception(), cf.process.BrokenProcessPool)


def execute_tapes(tapes: Sequence[QuantumTape], device, *, executor: Any = None) -> list:
    """Run your own tapes (a parameter sweep, a batch of circuits) on a device: ``kt.execute``.

    Each tape is checked and decomposed for the device (``device.preprocess``), then the batch runs
    as :func:`execute` runs it: on ``executor`` or the device's executor when there is one, else
    in this process. Results are not differentiated.

    Args:
        tapes: the tapes.
        device: the device.
        executor: overrides ``device.executor`` for this batch.

    Returns:
        One result per tape: a tuple with one entry per measurement.

    Example:
        >>> import numpy as np
        >>> import kettle as kt
        >>> dev = kt.device("default.qubit", wires=1)
        >>> tapes = []
        >>> for x in np.linspace(0, np.pi, 3):
        ...     with kt.QuantumTape() as tape:
        ...         _ = kt.RX(x, wires=0)
        ...         _ = kt.expval(kt.PauliZ(0))
        ...     tapes.append(tape)
        >>> tuple(round(float(r[0]), 6) for r in kt.execute(tapes, dev))
        (1.0, 0.0, -1.0)
    """
    return execute(device, [device.preprocess(t) for t in tapes], executor=executor)
