"""``kt.grad``, ``kt.value_and_grad``, ``kt.jacobian``: autograd outside, JAX inside compiled code.

Inside ``kt.qjit`` (and whenever JAX arrays are differentiated, or ``method="fd"`` is asked for)
derivatives are taken with JAX:

- ``method="auto"`` (the default): JAX differentiates the classical code, and each QNode is
  differentiated by its own diff_method ("backprop", "adjoint", "parameter-shift"; see
  :mod:`kettle.interfaces.jax`). Derivatives of derivatives work to any order.
- ``method="fd"``: forward finite differences of the whole hybrid function,
  ``(f(x + h·e_i) − f(x)) / h``, one shifted evaluation per input element, run as one compiled
  loop (``jax.lax.map``) so the program does not grow with the number of inputs. The step
  follows the working precision: :data:`DEFAULT_H` for float64 inputs (kt.qjit's default) and
  :data:`LOW_PRECISION_H` for float32 ones, where derivatives are good to ~1e-3 at best; a given
  step below what the precision resolves (:func:`resolvable_step`) gives a warning.

Otherwise (NumPy and ``kettle.numpy`` arrays) they are the autograd implementations of
:mod:`kettle.core.autodiff`, unchanged.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from kettle.compiler.context import compiling
from kettle.core import autodiff, qmath
from kettle.errors import DifferentiableCompilerError, NonDifferentiableError

#: default step of ``method="fd"`` for float64 inputs.
DEFAULT_H = 1e-7
#: default step for single (or lower) precision inputs: 1e-7 is below float32's resolution near 1,
#: so x + h would round back to x; about √ε₃₂ balances round-off against truncation.
LOW_PRECISION_H = 1e-3
METHODS = ("auto", "fd")


def _check_options(method: Any, h: Any, argnum: Any, who: str) -> tuple[str, float | None]:
    """Validated (method, h); ``ValueError`` naming the bad option otherwise."""
    method = "auto" if method is None else method
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(
            f"{who} got method={method!r}; valid methods are 'auto' (each QNode by its own "
            "diff_method, classical code by JAX autodiff) and 'fd' (finite differences of the "
            "whole function)")
    if method == "auto" and h is not None:
        raise ValueError(f"{who} got h={h!r} with method='auto'; the step size h applies only to "
                         "method='fd'")
    if method == "fd" and h is not None:  # None: chosen from the inputs' precision (_fd_step)
        if not isinstance(h, (float, np.floating)) or not math.isfinite(h) or h <= 0:
            raise ValueError(f"{who} needs a finite-difference step h that is a positive float, "
                             f"got h={h!r}")
        h = float(h)
    ok = argnum is None or (isinstance(argnum, (int, np.integer)) and not isinstance(argnum, bool))
    ok = ok or (isinstance(argnum, (tuple, list)) and len(argnum) > 0 and all(
        isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in argnum))
    if not ok:
        raise ValueError(f"{who} got argnum={argnum!r}; argnum is an int or a non-empty tuple or "
                         "list of ints (positions of the arguments to differentiate)")
    return method, h


def _leaves(value: Any) -> list:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _leaves(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    return [value]


def _use_jax(method: str, args: tuple) -> bool:
    """JAX differentiates inside qjit, for JAX arrays, and for whole-function finite differences."""
    return compiling() or method == "fd" or any(qmath.backend_of(a) == "jax" for a in _leaves(args))


def _argnums(argnum: Any, nargs: int) -> tuple[tuple[int, ...], bool]:
    """(normalized argument positions, whether a single argument was asked for)."""
    single = argnum is None or isinstance(argnum, (int, np.integer))
    nums = (0,) if argnum is None else (argnum,) if single else tuple(argnum)
    for i in nums:
        if not -nargs <= i < nargs:
            raise NonDifferentiableError(f"argnum={i} is out of range: the function got {nargs} "
                                         "positional argument(s)", argnum=i)
    positions = tuple(int(i) % nargs for i in nums)
    autodiff.check_distinct(argnum, positions)
    return positions, single


def _check_inputs(diff_args: Sequence, argnums: Sequence[int]) -> None:
    import jax
    import jax.numpy as jnp

    for i, value in zip(argnums, diff_args):
        for leaf in jax.tree_util.tree_leaves(value):
            if not jnp.issubdtype(jnp.result_type(leaf), jnp.inexact):
                raise NonDifferentiableError(
                    f"argument {i} has dtype {jnp.result_type(leaf)} and cannot be differentiated; "
                    "pass floating-point values (e.g. 2.0, not 2)", argnum=i)


def _check_scalar(out: Any, who: str) -> None:
    import jax.numpy as jnp

    is_array = (hasattr(out, "shape") and hasattr(out, "dtype")) or isinstance(out, (float, int))
    if is_array and jnp.ndim(out) == 0 and jnp.issubdtype(jnp.result_type(out), jnp.floating):
        return
    if is_array:
        desc = f"an array of shape {tuple(jnp.shape(out))} and dtype {jnp.result_type(out)}"
    else:
        desc = f"a {type(out).__name__}"
    raise DifferentiableCompilerError(
        f"{who} differentiates functions returning one real scalar, but the function returned "
        f"{desc}; use kt.jacobian for non-scalar or several outputs", value=out)


def _restricted(func: Callable, args: tuple, kwargs: dict, argnums: Sequence[int]) -> Callable:
    def of_diff_args(*diff_args):
        full = list(args)
        for i, a in zip(argnums, diff_args):
            full[i] = a
        return func(*full, **kwargs)

    return of_diff_args


def resolvable_step(dtype) -> float:
    """The smallest step method "fd" takes without a warning at this precision: √ε/10, where the
    round-off error of a forward difference (about ε/h) reaches 10√ε, far above its optimum."""
    import jax.numpy as jnp

    return float(jnp.finfo(dtype).eps) ** 0.5 / 10


def _fd_step(h: float | None, diff_args: Sequence, argnums: Sequence[int]) -> float:
    """The step of method "fd": ``h`` if given (with a warning when it is below what the inputs'
    precision resolves), else by that precision. Complex inputs are refused (a forward difference
    along the real axis is not their derivative)."""
    import jax
    import jax.numpy as jnp

    low, coarsest = False, jnp.dtype("float64")
    for i, value in zip(argnums, diff_args):
        for leaf in jax.tree_util.tree_leaves(value):
            dtype = jnp.result_type(leaf)
            if jnp.issubdtype(dtype, jnp.complexfloating):
                raise NonDifferentiableError(
                    f"argument {i} is complex ({dtype}); method='fd' differentiates real inputs: "
                    "pass its real and imaginary parts as separate real arguments, or use "
                    "method='auto'", argnum=i)
            if jnp.finfo(dtype).bits < 64:
                low, coarsest = True, dtype
    if h is not None:
        floor = resolvable_step(coarsest)
        if h < floor:
            warnings.warn(
                f"method='fd' got h={h:g}, below what {jnp.dtype(coarsest).name} resolves "
                f"(steps under {floor:.1g} lose most digits to round-off); use a larger h, or "
                "leave h unset for the default of this precision", UserWarning, stacklevel=4)
        return h
    return LOW_PRECISION_H if low else DEFAULT_H


def _fd_jacobians(fn: Callable, diff_args: Sequence, h: float) -> tuple[Any, Any, list]:
    """Forward differences: ``(f(x), output treedef, blocks)`` where ``blocks[o][k]`` is the
    derivative of output leaf ``o`` by argument ``k`` (shaped like the argument's pytree, each leaf
    ``output shape + input shape``)."""
    import jax
    import jax.numpy as jnp
    from jax.flatten_util import ravel_pytree

    f0 = fn(*diff_args)
    flat0, _ = ravel_pytree(f0)
    out_leaves, out_tree = jax.tree_util.tree_flatten(f0)
    blocks: list[list] = [[] for _ in out_leaves]
    for k, arg in enumerate(diff_args):
        flat_x, unravel = ravel_pytree(arg)

        def shifted(i, flat_x=flat_x, unravel=unravel, k=k):
            args = list(diff_args)
            args[k] = unravel(flat_x.at[i].add(h))
            return ravel_pytree(fn(*args))[0]

        if flat_x.size:
            rows = (jax.lax.map(shifted, jnp.arange(flat_x.size)) - flat0) / h  # (inputs, outputs)
        else:  # an empty argument: an empty derivative
            rows = jnp.zeros((0, flat0.size), flat0.dtype)
        arg_leaves, arg_tree = jax.tree_util.tree_flatten(arg)
        start = 0
        for o, out in enumerate(out_leaves):
            o_shape = tuple(jnp.shape(out))
            cols = rows[:, start:start + int(np.prod(o_shape))]
            start += int(np.prod(o_shape))
            per_leaf, i0 = [], 0
            for a in arg_leaves:
                a_shape = tuple(jnp.shape(a))
                a_size = int(np.prod(a_shape))
                block = cols[i0:i0 + a_size].T.reshape(o_shape + a_shape)
                per_leaf.append(block.astype(jnp.result_type(out)))
                i0 += a_size
            blocks[o].append(jax.tree_util.tree_unflatten(arg_tree, per_leaf))
    return f0, out_tree, blocks


def _jax_value_and_grad(func, argnum, method, h, args, kwargs, who):
    import jax
    import jax.numpy as jnp

    argnums, single = _argnums(argnum, len(args))
    diff_args = [args[i] for i in argnums]
    _check_inputs(diff_args, argnums)
    fn = _restricted(func, args, kwargs, argnums)
    if method == "fd":
        h = _fd_step(h, diff_args, argnums)
        value, _, blocks = _fd_jacobians(_scalar_checked(fn, who), diff_args, h)
        grads = tuple(blocks[0])
    else:
        value, vjp_fn = jax.vjp(fn, *diff_args)
        _check_scalar(value, who)
        try:
            grads = vjp_fn(jnp.ones_like(value))
        except ValueError as err:
            if not _reverse_mode_refused(err):
                raise
            grads = jax.jacfwd(fn, argnums=tuple(range(len(diff_args))))(*diff_args)
    return value, (grads[0] if single else tuple(grads))


def _reverse_mode_refused(err: ValueError) -> bool:
    """JAX cannot reverse-differentiate loops whose trip count is known only at run time
    (``lax.while_loop``, from kt.while_loop and kt.for_loop with traced bounds). Forward mode
    can: one pass per input element instead of one in all, exact all the same."""
    return "Reverse-mode differentiation does not work for lax.while_loop" in str(err)


def _scalar_checked(fn: Callable, who: str) -> Callable:
    def checked(*a):
        out = fn(*a)
        _check_scalar(out, who)
        return out

    return checked


class grad(autodiff.grad):
    """The gradient of a scalar-valued hybrid function, also inside ``kt.qjit``.

    Outside compiled code and for NumPy/``kettle.numpy`` arguments this is the autograd gradient
    of :class:`kettle.core.autodiff.grad` (``argnum=None``: every argument with
    ``requires_grad=True``). Inside ``kt.qjit``, for JAX arrays, or with ``method="fd"`` it is
    taken with JAX (``argnum=None``: argument 0).

    Args:
        func: a function returning a real scalar; it may call QNodes.
        argnum: an int, or a tuple or list of ints: the arguments to differentiate.
        argnums: the same as ``argnum`` (JAX's and PennyLane 0.45's spelling); give one of them.
        method: "auto" (default; each QNode by its own diff_method, the rest by JAX autodiff) or
            "fd" (forward finite differences of the whole function).
        h: the finite-difference step of method "fd" (default :data:`DEFAULT_H` for float64
            inputs, :data:`LOW_PRECISION_H` for float32).

    Raises:
        ValueError: an unknown method, ``h`` that is not a positive float, ``h`` with "auto", or a
            malformed ``argnum``.
        NonDifferentiableError: both ``argnum`` and ``argnums`` are given.
        DifferentiableCompilerError: (on call, JAX path) the function's output is not a real
            scalar; or a QNode with diff_method="finite-diff" is differentiated with "auto" inside
            ``kt.qjit``.
        NonDifferentiableError: a differentiated argument is not floating point or out of range.

    Example:
        >>> import jax.numpy as jnp
        >>> dev = kt.device("default.qubit", wires=1)
        >>> @kt.qnode(dev)
        ... def circuit(x):
        ...     kt.RX(x, wires=0)
        ...     return kt.expval(kt.PauliZ(0))
        >>> @kt.qjit
        ... def slope(x):
        ...     return kt.grad(circuit)(x)
        >>> round(float(slope(jnp.array(0.5))), 6)  # −sin 0.5
        -0.479426
    """

    def __init__(self, func: Callable, argnum: Any = None, *, argnums: Any = None,
                 method: str | None = None, h: float | None = None):
        super().__init__(func, argnum, argnums=argnums)
        self.method, self.h = _check_options(method, h, self.argnum, "kt.grad")

    def __call__(self, *args: Any, **kwargs: Any):
        if not _use_jax(self.method, args):
            return super().__call__(*args, **kwargs)
        value, grads = _jax_value_and_grad(self.func, self.argnum, self.method, self.h, args,
                                           kwargs, "kt.grad")
        import jax

        self._forward = None if isinstance(value, jax.core.Tracer) else value
        return grads


def value_and_grad(func: Callable, argnum: Any = None, *, argnums: Any = None,
                   method: str | None = None, h: float | None = None) -> Callable:
    """The function's value and its gradient, ``(f(x), ∇f(x))``, from one evaluation.

    Inside ``kt.qjit`` and for JAX arrays this is JAX's ``value_and_grad`` with kettle's QNode
    derivatives (or whole-function finite differences with ``method="fd"``); otherwise the
    autograd :class:`grad` and its forward value. Arguments as for :class:`grad`.

    Raises:
        ValueError: as :class:`grad`, when called with bad options.
        DifferentiableCompilerError: the output is not a real scalar (JAX path).

    Example:
        >>> import jax.numpy as jnp
        >>> value, slope = kt.value_and_grad(lambda x: x ** 2)(jnp.array(2.5))
        >>> float(value), float(slope)
        (6.25, 5.0)
    """
    argnum = autodiff.merge_argnums(argnum, argnums, "kt.value_and_grad")
    method, h = _check_options(method, h, argnum, "kt.value_and_grad")
    autograd_grad = autodiff.grad(func, argnum)

    def value_and_gradient(*args: Any, **kwargs: Any):
        if _use_jax(method, args):
            return _jax_value_and_grad(func, argnum, method, h, args, kwargs, "kt.value_and_grad")
        grads = autograd_grad(*args, **kwargs)
        return autograd_grad.forward, grads

    return value_and_gradient


def jacobian(func: Callable, argnum: Any = None, *, argnums: Any = None,
             method: str | None = None, h: float | None = None) -> Callable:
    """The Jacobian of a hybrid function, shaped ``output shape + input shape``, also in qjit.

    Tuple outputs give one Jacobian per output; several arguments give, per output, a tuple with
    one Jacobian per argument. Outside ``kt.qjit`` with NumPy/``kettle.numpy`` arguments this is
    :func:`kettle.core.autodiff.jacobian`; otherwise JAX's reverse-mode Jacobian with kettle's QNode
    derivatives, or forward finite differences with ``method="fd"``. Arguments as for :class:`grad`.

    Raises:
        ValueError: an unknown method, a bad ``h`` or ``argnum``.

    Example:
        >>> import jax.numpy as jnp
        >>> jac = kt.qjit(kt.jacobian(lambda x: jnp.stack([x[0] * x[1], x[1] ** 2])))
        >>> jac(jnp.array([2.0, 3.0])).tolist()
        [[3.0, 2.0], [0.0, 6.0]]
    """
    argnum = autodiff.merge_argnums(argnum, argnums, "kt.jacobian")
    method, h = _check_options(method, h, argnum, "kt.jacobian")
    autograd_jacobian = autodiff.jacobian(func, argnum)

    def jac(*args: Any, **kwargs: Any):
        if not _use_jax(method, args):
            return autograd_jacobian(*args, **kwargs)
        import jax

        argnums, single = _argnums(argnum, len(args))
        diff_args = [args[i] for i in argnums]
        _check_inputs(diff_args, argnums)
        fn = _restricted(func, args, kwargs, argnums)
        if method == "auto":
            positions = 0 if single else tuple(range(len(argnums)))
            try:
                return jax.jacrev(fn, argnums=positions)(*diff_args)
            except ValueError as err:
                if not _reverse_mode_refused(err):
                    raise
                return jax.jacfwd(fn, argnums=positions)(*diff_args)
        _, out_tree, blocks = _fd_jacobians(fn, diff_args, _fd_step(h, diff_args, argnums))
        # per output leaf, the argument's Jacobian, or a tuple over arguments (jax.jacrev's layout)
        per_out = [b[0] if single else tuple(b) for b in blocks]
        return jax.tree_util.tree_unflatten(out_tree, per_out)

    return jac
