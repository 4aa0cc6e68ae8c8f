"""The diff-method registry: what each differentiation method is, in one place.

An entry states a method's options (with their checks), the measurements it differentiates, which
gates it decomposes first, how it computes a Jacobian (a gradient transform run on tapes, or the
device's own derivative), and how often it can be differentiated again. QNode validation,
``diff_method="best"``, the execute boundary and the support matrix all read this table.

Entries live next to their implementation: ``parameter-shift`` in gradients/param_shift.py,
``finite-diff`` in gradients/finite_diff.py, ``spsa`` in gradients/spsa.py. The entries below are
the methods whose work is done by a device (``backprop``: the framework differentiates the device's
simulation; ``adjoint`` and ``device``: the device's ``compute_derivatives``/``compute_vjp``).

Adding a method is one :func:`register` call::

    register(DiffMethod(name="my-method", rank=10, transform=my_transform, summary="..."))
"""
from __future__ import annotations

import dataclasses
import functools
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from kettle.core import measurements as m
from kettle.errors import DiffMethodError, NonDifferentiableError

#: every method accepts this option: how many times the QNode may be differentiated.
MAX_DIFF = "max_diff"


def positive_int(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return "a positive integer"
    return None


def positive_number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        return "a positive number"
    return None


def one_of(*choices: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value in choices:
            return None
        quoted = [repr(c) for c in choices]
        return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]

    return check


def anything(value: Any) -> str | None:
    return None


#: option name -> (check, a gloss for its error message); methods name the options they read.
OPTION_CHECKS: dict[str, tuple[Callable[[Any], str | None], str]] = {
    MAX_DIFF: (positive_int, ""),
    "h": (positive_number, "the finite-difference step"),
    "approx_order": (positive_int, ""),
    "strategy": (one_of("forward", "backward", "center"), ""),
    "num_directions": (positive_int, ""),
    "sampler_rng": (anything, ""),
    "shifts": (anything, ""),
}

Rule = Callable[[Sequence, Callable], list]


@dataclass(frozen=True)
class DiffMethod:
    """One differentiation method.

    Attributes:
        name: the ``diff_method`` string users pass.
        rank: position in documentation and the support matrix.
        summary: one line for error messages and docs.
        options: QNode options the method reads (besides ``max_diff``).
        measurements: measurement types it differentiates; None for all but samples.
        promised: support-matrix return types the project promises for it.
        expand_stop: gradient expansion: gates are decomposed until this holds (None: none).
        transform: gradient transform ``(tape, **options) -> (tapes, fn)`` computing the Jacobian.
        device_kind: the derivative a device computes itself (``compute_derivatives(tapes,
            kind)``), for methods without a transform.
        traces_simulation: the framework differentiates the simulation itself (backprop).
        needs_framework: interface=None is an error (otherwise only a warning: nothing to use).
        max_order: highest derivative order it supports (None: any, through nested execution).
        exact_only: it needs shots=None.
        stochastic: its estimate is random (not verified against finite differences).
        configure: ``(options, max_diff) -> options`` passed to the transform (e.g. a wider step
            for nested differences).
        shots_warning: warning given when it runs with finite shots.
    """

    name: str
    rank: int
    summary: str = ""
    options: frozenset = frozenset()
    measurements: tuple | None = None
    promised: frozenset = frozenset()
    expand_stop: Callable | None = None
    transform: Callable | None = None
    device_kind: str | None = None
    traces_simulation: bool = False
    needs_framework: bool = False
    max_order: int | None = None
    exact_only: bool = False
    stochastic: bool = False
    configure: Callable | None = None
    shots_warning: str | None = None
    extra: Mapping = field(default_factory=dict)

    # ------------------------------------------------------------ QNode creation
    def check_options(self, options: Mapping[str, Any], *, strict: bool = True) -> None:
        """Option values are checked when the QNode is made; with ``strict``, options this
        method does not read are an error (they would silently do nothing)."""
        check_option_values(options, self.name)
        if not strict:
            return
        unused = sorted(set(options) - self.options - {MAX_DIFF})
        if unused:
            users = [e.name for e in methods() if set(unused) & e.options]
            raise DiffMethodError(
                f"QNode option(s) {unused} do nothing with diff_method={self.name!r}; they "
                f"belong to {', '.join(repr(u) for u in users)}", diff_method=self.name)

    def check_device(self, device, interface: str | None,
                     options: Mapping[str, Any] | None = None) -> None:
        """Device-level checks made when a QNode is created (before anything runs)."""
        caps = device.capabilities
        order = (options or {}).get(MAX_DIFF, 1)
        if self.max_order is not None and order > self.max_order:
            # a device's own Jacobian is computed on the device, not by a framework: it cannot be
            # differentiated again
            raise DiffMethodError(
                f"diff_method={self.name!r} gives first derivatives only (device '{device.name}' "
                f"computes them itself); use diff_method='parameter-shift' with "
                f"max_diff={order} for higher derivatives", diff_method=self.name)
        if interface is None and self.needs_framework:
            raise DiffMethodError(
                f"diff_method={self.name!r} needs an autodiff framework, but interface=None; pass "
                "interface='auto' (or a framework name) or choose diff_method=None",
                diff_method=self.name)
        if interface is None:
            warnings.warn(f"interface=None: no autodiff framework is in use, so diff_method="
                          f"{self.name!r} will not be used; the forward pass still works",
                          UserWarning, stacklevel=4)
        if self.device_kind is not None and self.device_kind not in caps.derivatives:
            provided = ", ".join(sorted(caps.derivatives)) or "none"
            raise DiffMethodError(
                f"device '{device.name}' provides no {self.name!r} derivatives (it provides: "
                f"{provided}); use diff_method='backprop', 'parameter-shift' or 'finite-diff'",
                diff_method=self.name)
        if self.traces_simulation:
            if not caps.backprop_interfaces:
                raise DiffMethodError(f"device '{device.name}' does not support backprop",
                                      diff_method=self.name)
            if interface not in ("auto", None) and interface not in caps.backprop_interfaces:
                raise DiffMethodError(
                    f"device '{device.name}' supports backprop with "
                    f"{sorted(caps.backprop_interfaces)}, not interface={interface!r}",
                    diff_method=self.name)

    # ------------------------------------------------------------ execution
    def expand(self, tape):
        """Decompose the gates this method cannot differentiate directly."""
        return tape if self.expand_stop is None else tape.expand(self.expand_stop)

    def check_tapes(self, tapes: Sequence) -> None:
        """Measurement-level checks of the support matrix, made when gradients are tracked."""
        for tape in tapes:
            for mp in tape.measurements:
                if isinstance(mp, (m.SampleMP, m.CountsMP)):
                    raise NonDifferentiableError(
                        f"{mp.return_type}() is not differentiable (samples are random outcomes); "
                        "differentiate expval, var or probs instead")
                if self.measurements is not None and not isinstance(mp, self.measurements):
                    names = ", ".join(sorted({c.return_type for c in self.measurements}))
                    raise NonDifferentiableError(
                        f"diff_method={self.name!r} cannot differentiate {mp.return_type}(); it "
                        f"supports {names}. Use diff_method='backprop' (shots=None) for "
                        f"{mp.return_type}()")
            if self.exact_only and not tape.shots.analytic:
                raise DiffMethodError(
                    f"{self.name} needs shots=None (exact simulation), got shots={tape.shots}; use "
                    "diff_method='parameter-shift' for gradients with shots", diff_method=self.name)

    def warn_about_shots(self, tapes: Sequence) -> None:
        if self.shots_warning and any(not t.shots.analytic for t in tapes):
            warnings.warn(self.shots_warning, UserWarning, stacklevel=6)

    def supports(self, mp) -> bool:
        """Whether this method differentiates measurement ``mp`` (support-matrix lookups)."""
        if isinstance(mp, type):
            kind = mp
        else:
            kind = type(mp)
        if issubclass(kind, (m.SampleMP, m.CountsMP)):
            return False
        return self.measurements is None or issubclass(kind, self.measurements)

    def rule(self, device, options: Mapping[str, Any]) -> Rule:
        """``rule(tapes, execute_fn) -> Jacobians`` in the tape layout of gradients/transform.py.

        ``execute_fn`` runs gradient tapes; adapters pass a differentiable one for higher order.
        """
        if self.transform is not None:
            opts = {k: v for k, v in options.items() if k in self.options}
            if self.configure is not None:
                opts = self.configure(opts, options.get(MAX_DIFF, 1))
            return functools.partial(_by_transform, self.transform, opts)
        if self.device_kind is not None:
            return functools.partial(_by_device, self, device)
        raise DiffMethodError(f"diff_method={self.name!r} has no Jacobian rule: the framework "
                              "differentiates the simulation", diff_method=self.name)


def _by_transform(transform: Callable, options: dict, tapes: Sequence, execute_fn: Callable) -> list:
    pairs = [transform(t, **options) for t in tapes]
    flat = [g for tps, _ in pairs for g in tps]
    results = execute_fn(flat) if flat else []
    out, i = [], 0
    for tps, fn in pairs:
        out.append(fn(results[i:i + len(tps)]))
        i += len(tps)
    return out


def _by_device(method: DiffMethod, device, tapes: Sequence, execute_fn: Callable) -> list:
    method.warn_about_shots(tapes)
    jacs = device.compute_derivatives(list(tapes), method.device_kind)
    return [replicate_per_shot_entry(t, jac, method) for t, jac in zip(tapes, jacs)]


def replicate_per_shot_entry(tape, jac, method: DiffMethod):
    """An analytic device Jacobian serves every shot-vector entry of a tape."""
    if method.shots_warning and tape.shots.has_vector:
        return tuple(jac for _ in tape.shots.vector)
    return jac


def check_option_values(options: Mapping[str, Any], diff_method: Any) -> None:
    """Known option names with valid values; unknown names are misspellings and an error."""
    unknown = sorted(set(options) - set(OPTION_CHECKS))
    if unknown:
        raise DiffMethodError(
            f"unknown QNode option(s) {unknown}; valid options are "
            f"{', '.join(sorted(OPTION_CHECKS))}", diff_method=diff_method)
    for name, value in options.items():
        check, meaning = OPTION_CHECKS[name]
        allowed = check(value)
        if allowed is not None:
            gloss = f" ({meaning})" if meaning else ""
            raise DiffMethodError(f"QNode option {name}{gloss} must be {allowed}, got {value!r}",
                                  diff_method=diff_method)


# ---------------------------------------------------------------- the registry
_REGISTRY: dict[str, DiffMethod] = {}


def register(method: DiffMethod) -> DiffMethod:
    """Add a method; its name becomes a valid ``diff_method``. Re-registering a name replaces it."""
    if not isinstance(method, DiffMethod):
        raise DiffMethodError(f"register() takes a DiffMethod, got {method!r}", diff_method=method)
    if method.name in ("best",) or not method.name:
        raise DiffMethodError(f"{method.name!r} cannot name a diff method", diff_method=method.name)
    unknown = set(method.options) - set(OPTION_CHECKS)
    if unknown:
        raise DiffMethodError(f"diff method {method.name!r} reads unknown options "
                              f"{sorted(unknown)}; known options are {sorted(OPTION_CHECKS)}",
                              diff_method=method.name)
    _REGISTRY[method.name] = method
    return method


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def _loaded() -> dict[str, DiffMethod]:
    if "parameter-shift" not in _REGISTRY:  # the gradients package registers its transforms
        import kettle.gradients  # noqa: F401
    return _REGISTRY


def methods() -> list[DiffMethod]:
    """Every registered method, in documentation order."""
    return sorted(_loaded().values(), key=lambda e: (e.rank, e.name))


def names() -> list[str]:
    """Valid ``diff_method`` strings: "best" and every registered method."""
    return ["best"] + [e.name for e in methods()]


def get(diff_method: Any) -> DiffMethod:
    """The entry of a method name, or of a gradient transform given as the diff method."""
    if isinstance(diff_method, DiffMethod):
        return diff_method
    if callable(diff_method):
        return from_transform(diff_method)
    try:
        return _loaded()[diff_method]
    except (KeyError, TypeError):
        valid = ", ".join(repr(n) for n in names())
        raise DiffMethodError(
            f"unknown diff_method {diff_method!r}; valid methods are {valid}, None, or a gradient "
            "transform such as kt.gradients.param_shift", diff_method=diff_method) from None


def from_transform(transform: Callable) -> DiffMethod:
    """A gradient transform of the user's (or kettle's) used as a QNode's diff method."""
    for entry in _loaded().values():
        if entry.transform is transform:
            return dataclasses.replace(entry, options=frozenset())  # used as given: no options
    name = getattr(transform, "__name__", repr(transform))
    return DiffMethod(name=name, rank=1000, transform=transform,
                      summary=f"the gradient transform {name}", max_order=None)


def best(device, interface: str | None, tapes: Sequence) -> DiffMethod:
    """"best": the device's own gradient, else backprop (exact simulation in a framework the device
    traces), else parameter-shift."""
    caps = device.capabilities
    if "device" in caps.derivatives:
        return get("device")
    if interface in caps.backprop_interfaces and all(t.shots.analytic for t in tapes):
        return get("backprop")
    return get("parameter-shift")


def resolve(diff_method: Any, device, interface: str | None, tapes: Sequence) -> DiffMethod:
    """The concrete entry of ``diff_method`` for one execution ("best" resolved)."""
    if diff_method == "best":
        return best(device, interface, tapes)
    return get(diff_method)


# ---------------------------------------------------------------- methods computed by devices
def _adjoint_stop(op) -> bool:
    return not op.data or op.has_generator or op.prepares_state


register(DiffMethod(
    name="device", rank=0, device_kind="device", needs_framework=True, max_order=1,
    summary="the device's own derivative (compute_derivatives / compute_vjp)"))
register(DiffMethod(
    name="backprop", rank=1, traces_simulation=True, needs_framework=True, exact_only=True,
    promised=frozenset({"state", "density_matrix", "probs", "expval(Pauli)", "expval(Hermitian)",
                        "expval(Projector)", "var", "vn_entropy", "mutual_info", "purity"}),
    summary="the framework differentiates the device's simulation"))
register(DiffMethod(
    name="adjoint", rank=2, device_kind="adjoint", expand_stop=_adjoint_stop,
    measurements=(m.ExpectationMP, m.VarianceMP, m.ProbabilityMP),
    promised=frozenset({"expval(Pauli)", "expval(Hermitian)", "expval(Projector)"}),
    shots_warning=("adjoint differentiation ignores shots: the gradient is analytic while the "
                   "forward values are sampled"),
    summary="one reverse sweep of the state vector (device-provided)"))
