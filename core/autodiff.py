"""``kt.grad`` and ``kt.jacobian``: derivatives of hybrid functions through autograd."""
from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import autograd
import numpy as np
from autograd.numpy.numpy_boxes import ArrayBox

from kettle.core.knumpy import tensor
from kettle.errors import NonDifferentiableError


def _trainable_argnums(args: Sequence) -> list[int]:
    # values already being traced (nested derivatives) are trainable too
    return [i for i, a in enumerate(args)
            if isinstance(a, ArrayBox) or getattr(a, "requires_grad", False)]


def _as_differentiable(value: Any) -> Any:
    """Lists, tuples, ints and plain arrays selected by ``argnum`` become float tensors."""
    if isinstance(value, (ArrayBox, tensor)):
        return value
    arr = np.asarray(value)
    if arr.dtype.kind in "biu":
        arr = arr.astype(float)
    if arr.dtype.kind not in "fc":
        raise NonDifferentiableError(f"cannot differentiate with respect to {value!r} "
                                     f"(dtype {arr.dtype}); pass numbers or numeric arrays")
    if isinstance(value, float):
        return value
    return tensor(arr, requires_grad=True)


def merge_argnums(argnum: Any, argnums: Any, who: str) -> Any:
    """The one argument selection of ``argnum`` (kettle's spelling) and ``argnums`` (JAX's and
    PennyLane 0.45's spelling), which mean the same; giving both is an error."""
    if argnums is None:
        return argnum
    if argnum is not None:
        raise NonDifferentiableError(
            f"{who} got argnum={argnum!r} and argnums={argnums!r}; they are two spellings of the "
            "same option, pass only one of them", argnum=argnum)
    return argnums


def check_distinct(argnum: Any, positions: Sequence[int]) -> None:
    """Refuse an ``argnum`` that names one argument twice (after negative indices are resolved)."""
    repeated = sorted({i for i in positions if list(positions).count(i) > 1})
    if repeated:
        raise NonDifferentiableError(
            f"argnum={argnum!r} names argument {repeated[0]} more than once; list each argument "
            "to differentiate once", argnum=argnum)


def _select(func: Callable, argnum: int | Sequence[int] | None, args: tuple):
    """(argnums, args with differentiable values at argnums, unary-or-tuple flag)."""
    if argnum is None:
        argnums = _trainable_argnums(args)
        single = len(argnums) == 1
    else:
        single = isinstance(argnum, (int, np.integer))
        argnums = [int(argnum)] if single else [int(a) for a in argnum]
        for i in argnums:
            if not -len(args) <= i < len(args):
                raise NonDifferentiableError(
                    f"argnum={i} is out of range: the function got {len(args)} positional "
                    "argument(s)", argnum=i)
            if getattr(args[i], "requires_grad", True) is False:
                raise NonDifferentiableError(
                    f"argument {i} has requires_grad=False and cannot be differentiated; create it "
                    "with requires_grad=True or drop it from argnum", argnum=i)
        argnums = [i % len(args) for i in argnums]
        check_distinct(argnum, argnums)
    args = tuple(_as_differentiable(a) if i in argnums else a for i, a in enumerate(args))
    return argnums, args, single


class grad:
    """The gradient of a scalar-valued hybrid function.

    Args:
        func: a function of arrays returning a scalar (it may call QNodes).
        argnum: index or indices of the arguments to differentiate. By default, every argument
            with ``requires_grad=True`` (``kettle.numpy`` arrays) is differentiated.
        argnums: the same as ``argnum`` (the spelling of JAX and PennyLane 0.45); give one.

    Calling the result returns the gradient (a tuple of gradients for several arguments).
    ``.forward`` holds the function value of the last call (None before the first).

    Raises:
        NonDifferentiableError: ``argnum`` names an argument with ``requires_grad=False``, or
            both ``argnum`` and ``argnums`` are given.
        NonDifferentiableError: the function does not return a scalar (a ValueError).

    Example:
        >>> g = kt.grad(lambda x: np.sin(x[0]) * x[1])
        >>> g(np.array([0.0, 2.0]))
        array([2., 0.])
    """

    def __init__(self, func: Callable, argnum: int | Sequence[int] | None = None, *,
                 argnums: int | Sequence[int] | None = None):
        self.func = func
        self.argnum = merge_argnums(argnum, argnums, "kt.grad")
        self._forward = None

    @property
    def forward(self):
        return self._forward

    def __call__(self, *args, **kwargs):
        argnums, args, single = _select(self.func, self.argnum, args)
        if not argnums:
            warnings.warn("kt.grad found no trainable arguments (none has requires_grad=True); "
                          "returning an empty tuple", UserWarning, stacklevel=2)
            self._forward = self.func(*args, **kwargs)
            return ()

        def partial(*diff_args):
            full = list(args)
            for i, a in zip(argnums, diff_args):
                full[i] = a
            return self.func(*full, **kwargs)

        vjp, ans = autograd.make_vjp(partial, tuple(range(len(argnums))))(*[args[i] for i in argnums])
        if np.ndim(_value(ans)) != 0:
            raise NonDifferentiableError(
                f"kt.grad needs a function with a scalar output, got shape "
                f"{np.shape(_value(ans))}; use kt.jacobian for vector outputs")
        self._forward = ans
        grads = vjp(np.ones_like(_value(ans), dtype=float))
        return grads[0] if single else tuple(grads)


def _value(x):
    while isinstance(x, ArrayBox):
        x = x._value
    return x


def jacobian(func: Callable, argnum: int | Sequence[int] | None = None, *,
             argnums: int | Sequence[int] | None = None) -> Callable:
    """The Jacobian of a hybrid function: shape ``output shape + input shape``.

    Functions returning a tuple of arrays (e.g. a QNode with several measurements) give a tuple with
    one Jacobian per output. Several differentiated arguments give one Jacobian per argument
    (nested inside the per-output tuple). ``argnums`` is another spelling of ``argnum``.
    """
    argnum = merge_argnums(argnum, argnums, "kt.jacobian")

    def jac(*args, **kwargs):
        argnums, args, single = _select(func, argnum, args)
        if not argnums:
            warnings.warn("kt.jacobian found no trainable arguments; returning an empty tuple",
                          UserWarning, stacklevel=2)
            return ()
        shapes: list = []

        def flat(*diff_args):
            full = list(args)
            for i, a in zip(argnums, diff_args):
                full[i] = a
            out = func(*full, **kwargs)
            outs = list(out) if isinstance(out, (tuple, list)) else [out]
            shapes[:] = [np.shape(_value(o)) for o in outs]
            shapes.append(isinstance(out, (tuple, list)))
            import autograd.numpy as anp

            return anp.concatenate([anp.reshape(o, (-1,)) for o in outs])

        diff_vals = [args[i] for i in argnums]
        per_arg = [autograd.jacobian(flat, k)(*diff_vals) for k in range(len(argnums))]
        *out_shapes, is_tuple = shapes
        results = []
        start = 0
        for shp in out_shapes:
            size = int(np.prod(shp))
            blocks = [j[start:start + size].reshape(shp + np.shape(v)) for j, v in zip(per_arg, diff_vals)]
            results.append(blocks[0] if single else tuple(blocks))
            start += size
        return tuple(results) if is_tuple else results[0]

    return jac
