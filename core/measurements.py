"""Measurement processes: what a quantum function returns (expval, probs, sample, state, …).

These classes only describe the measurement; devices compute them (see devices/qubit_measure.py).
"""
from __future__ import annotations

from typing import Any, Sequence

from kettle.core import queuing
from kettle.core.operator import Observable, Operator
from kettle.core.wires import Wires
from kettle.errors import MeasurementError


class MeasurementProcess:
    """A measurement of an observable or of wires in the computational basis."""

    return_type: str = ""
    #: True when the value needs finite shots (sample, counts).
    needs_shots = False
    #: True when the value needs the state itself and cannot be estimated from samples.
    needs_state = False

    def __init__(self, obs: Observable | None = None, wires: Any = None):
        if obs is not None and not isinstance(obs, Observable):
            raise MeasurementError(
                f"{self.return_type} needs an observable, got {obs!r}; use e.g. "
                f"kt.{self.return_type}(kt.PauliZ(0))", measurement=self.return_type)
        if obs is not None and wires is not None:
            raise MeasurementError(f"{self.return_type} takes an observable or wires, not both",
                                   measurement=self.return_type)
        self.obs = obs
        self._wires = Wires(wires) if wires is not None else Wires([])
        queuing.unqueue(obs)
        queuing.queue(self)

    @property
    def wires(self) -> Wires:
        """Wires measured; empty means all wires of the device."""
        return self.obs.wires if self.obs is not None else self._wires

    @property
    def data(self) -> tuple:
        return self.obs.data if self.obs is not None else ()

    def with_obs(self, obs: Observable | None) -> "MeasurementProcess":
        import copy

        new = copy.copy(self)
        new.obs = obs
        return new

    def __repr__(self) -> str:
        inner = repr(self.obs) if self.obs is not None else (
            f"wires={list(self._wires)}" if self._wires else "all wires")
        return f"{self.return_type}({inner})"

    def label(self) -> str:
        inner = self.obs.label() if self.obs is not None else ""
        return {"expval": f"⟨{inner}⟩", "var": f"Var[{inner}]"}.get(self.return_type,
                                                                    self.return_type + (f"[{inner}]" if inner else ""))


class ExpectationMP(MeasurementProcess):
    return_type = "expval"


class VarianceMP(MeasurementProcess):
    return_type = "var"


class ProbabilityMP(MeasurementProcess):
    return_type = "probs"


class SampleMP(MeasurementProcess):
    return_type = "sample"
    needs_shots = True


class CountsMP(MeasurementProcess):
    return_type = "counts"
    needs_shots = True

    def __init__(self, obs=None, wires=None, all_outcomes: bool = False):
        self.all_outcomes = all_outcomes
        super().__init__(obs, wires)


class StateMP(MeasurementProcess):
    return_type = "state"
    needs_state = True


def _check_log_base(name: str, log_base: Any) -> None:
    ok = log_base is None or (isinstance(log_base, (int, float)) and not isinstance(log_base, bool)
                              and log_base > 0 and log_base != 1)
    if not ok:
        raise MeasurementError(f"{name} got log_base={log_base!r}; use None (natural logarithm) or "
                               "a positive number other than 1 (e.g. 2 for bits)", measurement=name)


class _OnWires(MeasurementProcess):
    """A reduced-state measurement: it needs the wires of its subsystem."""

    def __init__(self, wires):
        super().__init__(wires=wires)
        if len(self.wires) == 0:
            raise MeasurementError(f"{self.return_type}() needs the wires of the subsystem, got "
                                   "none", measurement=self.return_type)


class DensityMatrixMP(_OnWires):
    return_type = "density_matrix"
    needs_state = True


class PurityMP(_OnWires):
    return_type = "purity"
    needs_state = True


class VnEntropyMP(_OnWires):
    return_type = "vn_entropy"
    needs_state = True

    def __init__(self, wires, log_base: float | None = None):
        _check_log_base("vn_entropy", log_base)
        self.log_base = log_base
        super().__init__(wires)


class MutualInfoMP(MeasurementProcess):
    return_type = "mutual_info"
    needs_state = True

    def __init__(self, wires0, wires1, log_base: float | None = None):
        self.wires0, self.wires1 = Wires(wires0), Wires(wires1)
        overlap = [w for w in self.wires0 if w in self.wires1]
        if overlap:
            raise MeasurementError(f"mutual_info needs disjoint subsystems; both contain {overlap}",
                                   measurement="mutual_info")
        if not self.wires0 or not self.wires1:
            raise MeasurementError("mutual_info needs two non-empty subsystems",
                                   measurement="mutual_info")
        _check_log_base("mutual_info", log_base)
        self.log_base = log_base
        super().__init__(wires=list(self.wires0) + list(self.wires1))


def _need_obs(name: str, op: Any) -> Observable:
    if isinstance(op, Observable):
        return op
    what = f"{op.name}, which is not an observable" if isinstance(op, Operator) else repr(op)
    raise MeasurementError(
        f"{name}() needs an observable (PauliX/Y/Z, Hadamard, Identity, Hermitian, Projector, "
        f"tensor products or Hamiltonians), got {what}", measurement=name)


def expval(op: Observable) -> ExpectationMP:
    """Expectation value ⟨ψ|O|ψ⟩ of an observable."""
    return ExpectationMP(_need_obs("expval", op))


def var(op: Observable) -> VarianceMP:
    """Variance ⟨O²⟩ − ⟨O⟩² of an observable."""
    return VarianceMP(_need_obs("var", op))


def probs(wires: Any = None, op: Observable | None = None) -> ProbabilityMP:
    """Probabilities of the computational basis states of ``wires`` (all wires if omitted), or of
    the eigenstates of ``op``."""
    if isinstance(wires, Operator) and op is None:
        wires, op = None, wires
    return ProbabilityMP(_need_obs("probs", op) if op is not None else None, wires)


def sample(op: Observable | None = None, wires: Any = None) -> SampleMP:
    """Samples of ``op``'s eigenvalues, or of the bits of ``wires`` (needs finite shots)."""
    if op is not None and not isinstance(op, Operator):
        op, wires = None, op
    return SampleMP(_need_obs("sample", op) if op is not None else None, wires)


def counts(op: Observable | None = None, wires: Any = None, all_outcomes: bool = False) -> CountsMP:
    """A dictionary outcome → number of times observed (needs finite shots)."""
    if op is not None and not isinstance(op, Operator):
        op, wires = None, op
    return CountsMP(_need_obs("counts", op) if op is not None else None, wires, all_outcomes)


def state() -> StateMP:
    """The state vector over all device wires."""
    return StateMP()


def density_matrix(wires: Any) -> DensityMatrixMP:
    """The reduced density matrix of ``wires``."""
    return DensityMatrixMP(wires=wires)


def vn_entropy(wires: Any, log_base: float | None = None) -> VnEntropyMP:
    """Von Neumann entropy −Tr ρ log ρ of the reduced state of ``wires`` (natural log by default)."""
    return VnEntropyMP(wires, log_base)


def mutual_info(wires0: Any, wires1: Any, log_base: float | None = None) -> MutualInfoMP:
    """Mutual information S(ρ_A) + S(ρ_B) − S(ρ_AB) between two subsystems."""
    return MutualInfoMP(wires0, wires1, log_base)


def purity(wires: Any) -> PurityMP:
    """Purity Tr ρ² of the reduced state of ``wires``."""
    return PurityMP(wires=wires)


MEASUREMENT_TYPES: Sequence[type] = (ExpectationMP, VarianceMP, ProbabilityMP, SampleMP, CountsMP,
                                     StateMP, DensityMatrixMP, PurityMP, VnEntropyMP, MutualInfoMP)
