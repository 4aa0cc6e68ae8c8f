"""``kettle.math``: one set of array functions for NumPy, autograd, PyTorch, TensorFlow and JAX.

Cost functions and data pipelines written with these functions run unchanged on any framework's
arrays, and stay differentiable in that framework: each call dispatches, through autoray, to the
framework of its array arguments. NumPy arrays and Python numbers mix with any one framework (they
are converted to it); two different frameworks in one call are an :class:`InterfaceError`.

Interface names are those of PennyLane's ``qml.math``: ``"numpy"``, ``"autograd"`` (``kettle.numpy``
tensors and values traced by ``kt.grad``), ``"torch"``, ``"tensorflow"`` and ``"jax"``.

Example:
    >>> from kettle import math as kmath
    >>> x = np.array([0.3, 0.4], requires_grad=True)     # kettle.numpy: autograd
    >>> float(kmath.sqrt(kmath.sum(x ** 2)))
    0.5
    >>> kmath.stack([x, [1.0, 2.0]]).shape
    (2, 2)
    >>> kmath.get_interface(x), kmath.requires_grad(x)
    ('autograd', True)
"""
from __future__ import annotations

import builtins as _builtins
import sys
from typing import Any, Sequence

import autoray as ar
import numpy as np
from autograd.numpy.numpy_boxes import ArrayBox

from kettle.core import qmath
from kettle.core.knumpy import tensor as _kettle_tensor
from kettle.errors import InterfaceError

__all__ = [
    "abs",
    "add",
    "allclose",
    "angle",
    "arange",
    "arccos",
    "arcsin",
    "arctan",
    "argmax",
    "argmin",
    "asarray",
    "cast",
    "cast_like",
    "clip",
    "concatenate",
    "conj",
    "convert_like",
    "cos",
    "cumsum",
    "diag",
    "divide",
    "dot",
    "einsum",
    "exp",
    "expand_dims",
    "eye",
    "flip",
    "get_interface",
    "imag",
    "is_abstract",
    "isclose",
    "iscomplex",
    "isfinite",
    "isnan",
    "kron",
    "linspace",
    "log",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "moveaxis",
    "multiply",
    "ndim",
    "norm",
    "ones",
    "ones_like",
    "outer",
    "power",
    "prod",
    "real",
    "requires_grad",
    "reshape",
    "round",
    "shape",
    "sign",
    "sin",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "subtract",
    "sum",
    "take",
    "tan",
    "tanh",
    "tensordot",
    "to_numpy",
    "trace",
    "transpose",
    "unwrap",
    "where",
    "zeros",
    "zeros_like",
]

#: kettle's internal interface names → the names this module reports (PennyLane's)
_PUBLIC_NAME = {"numpy": "numpy", "autograd": "autograd", "torch": "torch", "tf": "tensorflow",
                "jax": "jax"}
#: accepted spellings of an interface → autoray backend
_BACKEND = {"numpy": "numpy", "autograd": "autograd", "torch": "torch", "tf": "tensorflow",
            "tensorflow": "tensorflow", "jax": "jax"}


# ---------------------------------------------------------------------------- frameworks
def _interface_of(x: Any) -> str:
    if isinstance(x, (ArrayBox, _kettle_tensor)):
        return "autograd"
    if isinstance(x, (list, tuple)):
        return get_interface(*x)
    return _PUBLIC_NAME[qmath.backend_of(x)]


def get_interface(*values: Any) -> str:
    """The framework of ``values``: "numpy", "autograd", "torch", "tensorflow" or "jax".

    NumPy arrays and Python numbers mix with any framework; ``kettle.numpy`` tensors and values
    traced by ``kt.grad`` are "autograd".

    Raises:
        InterfaceError: arrays of two different frameworks.
    """
    found = {_interface_of(v) for v in values} - {"numpy"}
    if len(found) > 1 and found != {"autograd"}:
        raise InterfaceError(
            f"arrays of different frameworks were mixed in one call: {', '.join(sorted(found))}; "
            "convert all arguments to one framework (kettle.math.asarray(x, like=...))",
            interfaces=sorted(found))
    return found.pop() if found else "numpy"


def _backend(*values: Any) -> str:
    return _BACKEND[get_interface(*values)]


def _torch_requires_grad(x):
    return bool(x.requires_grad)


def _tf_requires_grad(x):
    return bool(getattr(x, "trainable", False))  # a tf.Variable; tf.Tensor constants are not


def _jax_requires_grad(x):
    # values traced by jax.grad / jax.jvp; concrete arrays and jit-only tracers are not
    return "JVPTracer" in type(x).__name__ or "LinearizeTracer" in type(x).__name__


#: per framework, whether a value is being differentiated (data, not branches: see STYLE.md)
_REQUIRES_GRAD = {
    "torch": _torch_requires_grad,
    "tensorflow": _tf_requires_grad,
    "jax": _jax_requires_grad,
}


def requires_grad(x: Any) -> bool:
    """Whether ``x`` is a value the framework differentiates.

    NumPy arrays: False. ``kettle.numpy`` tensors: their ``requires_grad`` flag; values traced by
    ``kt.grad``: True. Torch: ``x.requires_grad``. TensorFlow: True for trainable ``tf.Variable``
    objects. JAX: True for values traced by ``jax.grad``/``jax.jvp``.
    """
    if isinstance(x, ArrayBox):
        return True
    if isinstance(x, _kettle_tensor):
        return bool(x.requires_grad)
    rule = _REQUIRES_GRAD.get(ar.infer_backend(x))
    return rule(x) if rule is not None else False


def to_numpy(x: Any) -> np.ndarray:
    """A plain NumPy array with the values of ``x`` (detached from every autodiff framework)."""
    fix = _MATERIALIZE.get(ar.infer_backend(x))
    out = qmath.to_numpy(fix(x) if fix is not None else x)
    return out.view(np.ndarray) if isinstance(out, np.ndarray) else np.asarray(out)


def is_abstract(x: Any) -> bool:
    """True for values whose numbers are unknown (traced by jax.jit or tf.function)."""
    return qmath.is_abstract(x)


def asarray(x: Any, like: Any = "numpy", dtype: Any = None) -> Any:
    """``x`` as an array of a framework: ``like`` is an interface name or an array of it."""
    name = like if isinstance(like, str) else get_interface(like)
    if name not in _BACKEND:
        raise InterfaceError(f"unknown interface {name!r}; use one of "
                             f"{', '.join(sorted(_BACKEND))}", interfaces=[name])
    backend = _BACKEND[name]
    if backend == "autograd":
        return x if isinstance(x, ArrayBox) else _kettle_tensor(x, dtype=dtype)
    if not isinstance(like, str) and backend != "numpy":
        return qmath.convert_like(to_numpy(x), like, None if dtype is None else _dtype_name(dtype))
    out = ar.do("asarray", to_numpy(x) if get_interface(x) != name else x, like=backend)
    return out if dtype is None else cast(out, dtype)


def convert_like(x: Any, like: Any) -> Any:
    """``x`` as an array of ``like``'s framework, dtype and device."""
    if get_interface(x) == get_interface(like) and get_interface(x) != "numpy":
        return x
    return qmath.convert_like(to_numpy(x), like)


def _dtype_name(dtype: Any) -> str:
    if isinstance(dtype, str):
        return dtype
    if isinstance(dtype, type) and issubclass(dtype, np.generic):  # np.float32, np.complex128
        return np.dtype(dtype).name
    name = getattr(dtype, "name", None) or str(dtype)
    return name.replace("torch.", "").replace("<dtype: '", "").replace("'>", "")


def cast(x: Any, dtype: Any) -> Any:
    """``x`` with another dtype (a name such as "float32", or a NumPy/torch/TF dtype)."""
    if isinstance(x, (list, tuple, int, float, complex)):
        x = np.asarray(x)
    return ar.astype(x, _dtype_name(dtype))


def cast_like(x: Any, like: Any) -> Any:
    """``x`` with the dtype of ``like`` (in ``x``'s own framework)."""
    return cast(x, qmath.dtype_name(like))


def shape(x: Any) -> tuple:
    return qmath.shape(x)


def ndim(x: Any) -> int:
    return qmath.ndim(x)


# ---------------------------------------------------------------------------- dispatch
def _promoted(values: Sequence) -> str | None:
    """NumPy's promotion of the arrays' dtypes (Python numbers do not widen arrays)."""
    arrays = [v for v in values if not isinstance(v, (int, float, complex, list, tuple))]
    if not arrays:
        return None
    return np.result_type(*[np.dtype(qmath.dtype_name(v)) for v in arrays]).name


def _coerce(values: Sequence) -> tuple[str, list]:
    """One framework and one dtype for every value (NumPy values join the framework)."""
    backend = _backend(*values)
    if backend in ("numpy", "autograd"):
        return backend, list(values)
    like = next(v for v in values if _BACKEND[_interface_of(v)] == backend)
    dtype = _promoted(values)  # lists and Python numbers take the arrays' dtype
    out = []
    for v in values:
        if isinstance(v, (int, float, complex)):
            out.append(v)
        elif _BACKEND[_interface_of(v)] != backend:
            out.append(qmath.convert_like(np.asarray(v), like, dtype))
        else:
            out.append(v if qmath.dtype_name(v) == dtype else ar.astype(v, dtype))
    return backend, out


def _do(name: str, *args: Any, backend: str, inputs: Sequence, **kwargs: Any) -> Any:
    """``ar.do`` in ``backend``; kettle.numpy inputs give kettle.numpy tensors back (autograd's
    functions return plain arrays for unboxed inputs)."""
    out = ar.do(name, *args, like=backend, **kwargs)
    if backend == "autograd" and isinstance(out, np.ndarray) and not isinstance(out, _kettle_tensor):
        flag = _builtins.any(requires_grad(v) for v in _flat(inputs))
        return _kettle_tensor(out, requires_grad=flag)
    return out


def _flat(values: Sequence) -> list:
    out = []
    for v in values:
        out.extend(_flat(v) if isinstance(v, (list, tuple)) else [v])
    return out


def _unary(name: str, doc: str):
    def fn(x: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(x, (list, tuple)):
            x = np.asarray(x)
        return _do(name, x, *args, backend=_backend(x), inputs=[x], **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


# one function per name (explicit, for readers, type checkers and the API reference)
abs = _unary("abs", "|x| entry by entry.")
sqrt = _unary("sqrt", "√x entry by entry.")
exp = _unary("exp", "eˣ entry by entry.")
log = _unary("log", "The natural logarithm entry by entry.")
sin = _unary("sin", "sin x entry by entry.")
cos = _unary("cos", "cos x entry by entry.")
tan = _unary("tan", "tan x entry by entry.")
arccos = _unary("arccos", "arccos x entry by entry.")
arcsin = _unary("arcsin", "arcsin x entry by entry.")
arctan = _unary("arctan", "arctan x entry by entry.")
tanh = _unary("tanh", "tanh x entry by entry.")
real = _unary("real", "The real part.")
imag = _unary("imag", "The imaginary part.")
sign = _unary("sign", "The sign entry by entry.")
angle = _unary("angle", "The complex argument entry by entry.")
square = _unary("square", "x² entry by entry.")
sum = _unary("sum", "Σ over ``axis`` (all axes by default).")
mean = _unary("mean", "The mean over ``axis``.")
prod = _unary("prod", "The product over ``axis``.")
max = _unary("max", "The maximum over ``axis``.")
min = _unary("min", "The minimum over ``axis``.")
argmax = _unary("argmax", "The index of the maximum.")
argmin = _unary("argmin", "The index of the minimum.")
cumsum = _unary("cumsum", "Cumulative sums along ``axis``.")
transpose = _unary("transpose", "Axes permuted (reversed by default, or ``axes``).")
reshape = _unary("reshape", "``x`` with a new shape.")
squeeze = _unary("squeeze", "Axes of length one removed.")
expand_dims = _unary("expand_dims", "A new axis of length one at ``axis``.")
moveaxis = _unary("moveaxis", "Axis ``source`` moved to ``destination``.")
diag = _unary("diag", "The diagonal, or a diagonal matrix of a vector.")
trace = _unary("trace", "The sum of the diagonal.")
zeros_like = _unary("zeros_like", "Zeros shaped like ``x`` in its framework.")
ones_like = _unary("ones_like", "Ones shaped like ``x`` in its framework.")
clip = _unary("clip", "Values clipped to [lo, hi].")
round = _unary("round", "Values rounded to ``decimals``.")
flip = _unary("flip", "Entries reversed along ``axis``.")
isnan = _unary("isnan", "Which entries are NaN.")
isfinite = _unary("isfinite", "Which entries are finite.")


#: torch's conj is a lazy view that ``.numpy()`` refuses: materialize it (quirk kept as data)
_MATERIALIZE = {"torch": lambda x: x.resolve_conj().resolve_neg()}


def conj(x: Any) -> Any:
    """The complex conjugate (a materialized array in every framework)."""
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    backend = _backend(x)
    out = _do("conj", x, backend=backend, inputs=[x])
    fix = _MATERIALIZE.get(backend)
    return fix(out) if fix is not None else out


def _nary(name: str, doc: str):
    def fn(*operands: Any, **kwargs: Any) -> Any:
        backend, ops = _coerce(operands)
        ops = [np.asarray(o) if isinstance(o, (list, tuple)) else o for o in ops]
        return _do(name, *ops, backend=backend, inputs=ops, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


matmul = _nary("matmul", "The matrix product a @ b.")
outer = _nary("outer", "The outer product of two vectors.")
kron = _nary("kron", "The Kronecker product.")
multiply = _nary("multiply", "a·b entry by entry.")
add = _nary("add", "a + b entry by entry.")
subtract = _nary("subtract", "a − b entry by entry.")
divide = _nary("divide", "a / b entry by entry.")
power = _nary("power", "aᵇ entry by entry.")
maximum = _nary("maximum", "The larger of a and b entry by entry.")
minimum = _nary("minimum", "The smaller of a and b entry by entry.")


def stack(values: Sequence, axis: int = 0) -> Any:
    """Arrays of one shape stacked along a new axis; NumPy values join the others' framework."""
    backend, vals = _coerce(values)
    vals = [np.asarray(v) if isinstance(v, (list, tuple, int, float, complex))
            and backend in ("numpy", "autograd") else v for v in vals]
    return _do("stack", vals, axis=axis, backend=backend, inputs=vals)


def concatenate(values: Sequence, axis: int = 0) -> Any:
    """Arrays joined along an existing axis; NumPy values join the others' framework."""
    backend, vals = _coerce(values)
    return _do("concatenate", vals, axis=axis, backend=backend, inputs=vals)


def where(condition: Any, x: Any, y: Any) -> Any:
    """``x`` where ``condition`` holds, else ``y``."""
    backend, (x, y) = _coerce([x, y])
    if backend not in ("numpy", "autograd") and get_interface(condition) == "numpy":
        like = x if not isinstance(x, (int, float, complex)) else y
        condition = qmath.convert_like(np.asarray(condition, dtype=bool), like, "bool")
    return _do("where", condition, x, y, backend=backend, inputs=[x, y])


def einsum(subscripts: str, *operands: Any) -> Any:
    """Einstein summation, e.g. ``einsum("ij,j->i", A, v)``."""
    backend, ops = _coerce(operands)
    return _do("einsum", subscripts, *ops, backend=backend, inputs=ops)


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """Sum of products over ``axes`` (an int or a pair of axis lists), as ``numpy.tensordot``."""
    backend, (a, b) = _coerce([a, b])
    return _do("tensordot", a, b, axes=axes, backend=backend, inputs=[a, b])


def dot(a: Any, b: Any) -> Any:
    """``numpy.dot`` in every framework: products of scalars, inner products of vectors, matrix
    products, and sums over the last axis of ``a`` and the second-to-last of ``b``."""
    backend, (a, b) = _coerce([a, b])
    a = np.asarray(a) if isinstance(a, (list, tuple)) else a
    b = np.asarray(b) if isinstance(b, (list, tuple)) else b
    if qmath.ndim(a) == 0 or qmath.ndim(b) == 0:
        return a * b
    axis_b = _builtins.max(qmath.ndim(b) - 2, 0)
    return _do("tensordot", a, b, axes=[[qmath.ndim(a) - 1], [axis_b]], backend=backend,
               inputs=[a, b])


def _creator(name: str, doc: str):
    def fn(*args: Any, like: Any = "numpy", dtype: Any = None) -> Any:
        backend = _BACKEND[like if isinstance(like, str) else get_interface(like)]
        kwargs = {} if dtype is None else {"dtype": _dtype_name(dtype)}
        out = ar.do(name, *args, like="numpy" if backend == "autograd" else backend, **kwargs)
        if backend == "autograd":
            return _kettle_tensor(out)
        if not isinstance(like, str) and backend != "numpy":
            return qmath.convert_like(to_numpy(out), like, qmath.dtype_name(out))  # its device
        return out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + " ``like``: an interface name or an array of the framework (and device)."
    return fn


zeros = _creator("zeros", "An array of zeros of ``shape``.")
ones = _creator("ones", "An array of ones of ``shape``.")
eye = _creator("eye", "The ``n`` × ``n`` identity.")
arange = _creator("arange", "Evenly spaced values in [start, stop).")
linspace = _creator("linspace", "``num`` evenly spaced values from ``start`` to ``stop``.")


def take(x: Any, indices: Any, axis: int | None = None) -> Any:
    """Entries of ``x`` at ``indices`` (along ``axis``), as ``numpy.take``."""
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    backend = _backend(x)
    if backend not in ("numpy", "autograd") and get_interface(indices) == "numpy":
        indices = qmath.convert_like(np.asarray(indices), x, "int64")
    return _do("take", x, indices, axis=axis, backend=backend, inputs=[x])


def iscomplex(x: Any) -> bool:
    """Whether ``x`` has a complex dtype."""
    return qmath.dtype_name(x).startswith("complex")


def unwrap(values: Any) -> Any:
    """Plain NumPy arrays (or Python numbers for 0-d values) of a value or a sequence of values,
    detached from every framework."""
    if isinstance(values, (list, tuple)):
        return type(values)(unwrap(v) for v in values)
    out = to_numpy(values)
    return out.item() if out.ndim == 0 else out


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08) -> bool:
    """Whether every entry of ``a`` and ``b`` agree within ``atol + rtol·|b|`` (a Python bool)."""
    return bool(np.allclose(to_numpy(a), to_numpy(b), rtol=rtol, atol=atol))


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08) -> np.ndarray:
    """Entry-by-entry closeness as a NumPy boolean array."""
    return np.isclose(to_numpy(a), to_numpy(b), rtol=rtol, atol=atol)


def norm(x: Any, ord: Any = None, axis: Any = None) -> Any:
    """The vector 2-norm (or ``ord``) of ``x``; differentiable in its framework."""
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if ord is None and axis is None:
        return sqrt(sum(real(x * conj(x))))
    return _do("linalg.norm", x, ord=ord, axis=axis, backend=_backend(x), inputs=[x])


# ``import kettle.math`` names this module (a root-level math.py would shadow the stdlib's math)
sys.modules.setdefault("kettle.math", sys.modules[__name__])
