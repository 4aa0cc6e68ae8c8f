"""Framework-agnostic math helpers over autoray.

Everything here works on NumPy, autograd, PyTorch, TensorFlow and JAX arrays alike. Per-framework
quirks are kept as data (the tables below), so callers never branch on the framework.
"""
from __future__ import annotations

import importlib
import weakref
from typing import Any, Sequence

import autoray as ar
import numpy as np

from kettle.errors import FrameworkNotInstalledError, InterfaceError

anp = ar.numpy

#: autoray backend name -> kettle interface name.
_BACKEND_TO_INTERFACE = {
    "builtins": "numpy",
    "numpy": "numpy",
    "autograd": "autograd",
    "torch": "torch",
    "tensorflow": "tf",
    "jax": "jax",
    "jaxlib": "jax",
}

#: kettle interface name -> autoray backend name used to create arrays.
INTERFACE_TO_BACKEND = {
    "numpy": "numpy",
    "autograd": "autograd",
    "torch": "torch",
    "tf": "tensorflow",
    "jax": "jax",
}

#: optional framework (interface name or feature) -> (module, name users know, kettle extra).
OPTIONAL_FRAMEWORKS = {
    "torch": ("torch", "PyTorch", "torch"),
    "tf": ("tensorflow", "TensorFlow", "tensorflow"),
    "jax": ("jax", "JAX", "jax"),
    "keras": ("keras", "Keras", "keras"),
    "dask": ("dask.distributed", "dask.distributed", "dask"),
    "matplotlib": ("matplotlib", "matplotlib", "draw"),
}


def require_framework(name: str | None, *, feature: str | None = None) -> str | None:
    """``name`` itself, or a clear error when the optional framework ``name`` is not installed.

    Names that are not optional frameworks ("autograd", "numpy", "auto", None) always pass.

    Args:
        name: an interface name ("torch", "tf", "jax") or "keras", "dask", "matplotlib".
        feature: what needed it, for the message (e.g. "kt.qnn.TorchLayer").

    Returns:
        ``name``, so a caller can check and pass a name on in one expression.

    Raises:
        FrameworkNotInstalledError: naming the framework and ``pip install kettle[extra]``.
    """
    if name not in OPTIONAL_FRAMEWORKS:
        return name
    module, framework, extra = OPTIONAL_FRAMEWORKS[name]
    try:
        importlib.import_module(module)  # the caller is about to use it: importing costs nothing extra
        return name
    except ImportError:
        pass
    needed = f" ({feature} needs it)" if feature else ""
    raise FrameworkNotInstalledError(
        f"{framework} is not installed{needed}: pip install kettle[{extra}]",
        framework=framework, extra=extra, module=module)


_COMPLEX_OF = {"float32": "complex64", "float16": "complex64", "bfloat16": "complex64",
               "complex64": "complex64"}


#: interfaces whose arrays live in a framework of their own (NumPy and autograd values are plain
#: host arrays that mix with anything)
FRAMEWORKS = frozenset({"torch", "tf", "jax"})
#: frameworks that differentiate whatever they are given (no per-array requires_grad flag)
TRACES_EVERYTHING = frozenset({"autograd", "jax", "tf"})
#: what trains each framework's tensors (kettle's optimizers step NumPy arrays)
NATIVE_OPTIMIZERS = {"torch": "torch.optim", "tf": "a Keras optimizer", "jax": "optax"}


def is_framework_array(x: Any) -> bool:
    """Whether ``x`` is a torch/TF/JAX array (rather than NumPy, autograd or a Python value)."""
    return backend_of(x) in FRAMEWORKS


#: per framework: whether a concrete array of it is a plain value (nothing differentiates it)
_PLAIN_VALUE = {"torch": lambda x: not x.requires_grad, "jax": lambda x: True}


def is_plain_value(x: Any) -> bool:
    """Whether a concrete framework array carries no autodiff state and can travel as NumPy."""
    check = _PLAIN_VALUE.get(backend_of(x))
    return bool(check and check(x))


def stack_like(items: Sequence[Any]) -> Any:
    """Stack arrays into one, in the framework of the framework arrays among them (NumPy
    constants are brought into it); autograd's stack keeps boxed entries differentiable."""
    interface = get_interface(*items)
    if interface in FRAMEWORKS:
        like = next(k for k in items if backend_of(k) == interface)
        items = [k if backend_of(k) == interface else convert_like(k, like) for k in items]
    else:
        items = [np.asarray(k) if isinstance(k, (list, tuple)) else k for k in items]
    return ar.do("stack", list(items), like=INTERFACE_TO_BACKEND[interface])


def entries(x: Any, k: int) -> np.ndarray:
    """The entries of ``x`` over its last ``k`` axes, as an object array of that shape whose
    items keep ``x``'s leading (batch) axes: ``entries(w, 3)[l, i, j]`` is ``w[..., l, i, j]``.

    For JAX arrays this is one ``unstack`` of the reshaped array, where indexing entry by entry
    is a slice and a squeeze per entry, and in a derivative a zero-padded copy of the whole array
    per entry (a template of 360 weights: some 1,400 more operations for XLA to compile).
    """
    dims = shape(x)[len(shape(x)) - k:]
    out = np.empty(dims, dtype=object)
    if backend_of(x) == "jax":
        import jax.numpy as jnp

        lead = len(shape(x)) - k
        flat = jnp.moveaxis(x, tuple(range(lead, lead + k)), tuple(range(k))) if lead else x
        flat = flat.reshape((-1,) + tuple(shape(x)[:lead]))
        # jnp.unstack (JAX 0.4.28+) is one operation; older JAX indexes entry by entry
        items = (jnp.unstack(flat, axis=0) if hasattr(jnp, "unstack")
                 else [flat[i] for i in range(flat.shape[0])])
        for i, (idx, item) in enumerate(zip(np.ndindex(*dims), items)):
            out[idx] = item
            _ENTRIES[id(item)] = (weakref.ref(item, lambda _, key=id(item): _ENTRIES.pop(key, None)),
                                  flat, i)
        return out
    for idx in np.ndindex(*dims):
        out[idx] = x[(Ellipsis,) + idx]
    return out


#: id of an entry made by :func:`entries` from a JAX array -> (weak reference to it, the flat
#: array it came from, its index there)
_ENTRIES: dict[int, tuple] = {}


def stack_entries(items: Sequence[Any]) -> Any:
    """``jnp.stack(items)`` for JAX values; when every item is an entry (:func:`entries`) of one
    array, one slice or gather of that array instead, so that a batched computation over a
    template's weights (compiler/gate_scan.py) reads them in one operation and its derivative
    writes them in one."""
    import jax.numpy as jnp

    found = [_ENTRIES.get(id(t)) for t in items]
    if items and all(f is not None and f[0]() is t for f, t in zip(found, items)):
        flat = found[0][1]
        if all(f[1] is flat for f in found):
            idx = [f[2] for f in found]
            step = idx[1] - idx[0] if len(idx) > 1 else 1
            if step > 0 and idx == list(range(idx[0], idx[0] + step * len(idx), step)):
                return flat[idx[0]:idx[-1] + 1:step]
            return flat[np.asarray(idx)]
    return jnp.stack([jnp.asarray(t) for t in items])


def _jax_can_widen() -> bool:
    import jax

    return bool(jax.config.jax_enable_x64)


#: frameworks whose float64 depends on a global switch
_WIDENS = {"jax": _jax_can_widen}


def widen(x: Any) -> Any:
    """A single-precision value as float64 in its own framework, where the framework allows
    (JAX without ``jax_enable_x64`` does not: the value is returned as it is)."""
    if isinstance(x, (int, float, complex)) or not dtype_name(x).startswith(("float16",
                                                                           "bfloat16",
                                                                           "float32")):
        return x
    if not _WIDENS.get(backend_of(x), lambda: True)():
        return x
    if isinstance(x, (np.ndarray, np.floating)):
        return x.astype(np.float64)
    return ar.astype(x, "float64")


def backend_of(x: Any) -> str:
    """The kettle interface name of one value ("numpy" for Python scalars and lists)."""
    if isinstance(x, (list, tuple)):
        return get_interface(*x)
    name = ar.infer_backend(x)
    return _BACKEND_TO_INTERFACE.get(name, "numpy")


def get_interface(*values: Any) -> str:
    """The single framework of ``values``; NumPy and Python values mix with any other.

    Raises:
        InterfaceError: when arrays of two different frameworks are mixed.
    """
    return merge_interfaces(*{backend_of(v) for v in values})


def merge_interfaces(*names: str) -> str:
    """The single framework among interface names found separately ("numpy" mixes with any).

    Raises:
        InterfaceError: when two different frameworks are among them.
    """
    found = set(names) - {"numpy"}
    if len(found) > 1:
        raise InterfaceError(
            f"arrays of different frameworks were mixed in one call: {', '.join(sorted(found))}; "
            "convert all arguments to one framework",
            interfaces=sorted(found),
        )
    return found.pop() if found else "numpy"


def dtype_name(x: Any) -> str:
    if isinstance(x, (bool, int)):
        return "int64"
    if isinstance(x, float):
        return "float64"
    if isinstance(x, complex):
        return "complex128"
    return ar.get_dtype_name(x)


def complex_dtype(*values: Any) -> str:
    """complex64 when every floating value is single precision, complex128 otherwise."""
    names = [dtype_name(v) for v in values]
    floats = [n for n in names if n.startswith(("float", "complex", "bfloat"))]
    if floats and all(n in _COMPLEX_OF for n in floats):
        return "complex64"
    return "complex128"


def real_dtype_of(complex_name: str) -> str:
    return "float32" if complex_name == "complex64" else "float64"


def as_complex(x: Any, dtype: str | None = None) -> Any:
    """Cast ``x`` to a complex dtype of matching precision (or to ``dtype``)."""
    if isinstance(x, (int, float, complex)):
        # a Python complex mixes with every framework's tensors (a NumPy array would not)
        return complex(x) if dtype in (None, "complex128") else np.asarray(x, dtype=dtype)
    target = dtype or _COMPLEX_OF.get(dtype_name(x), "complex128")
    if dtype_name(x) == target:
        return x
    maker = _REAL_TO_COMPLEX.get(ar.infer_backend(x))
    if maker is not None and not dtype_name(x).startswith("complex"):
        out = maker(x)
        return out if dtype_name(out) == target else ar.astype(out, target)
    return ar.astype(x, target)


#: real → complex constructions whose gradients need no complex → real cast (which warns):
#: autograd's product VJP takes the real part; tf.complex's gradient is the real part.
_REAL_TO_COMPLEX = {
    "autograd": lambda x: x * (1 + 0j),
    "tensorflow": lambda x: ar.do("complex", x, ar.do("zeros_like", x), like="tensorflow"),
}


def _lax_complex(re, im):
    import jax

    return jax.lax.complex(re, im)


#: complex(re, im) in one operation, for frameworks that have one (fewer ops to record and
#: differentiate than re + 1j·im: eager TensorFlow and PyTorch pay per operation).
_COMPLEX_FROM_PARTS = {
    "tensorflow": lambda re, im: ar.do("complex", re, im, like="tensorflow"),
    "torch": lambda re, im: ar.do("complex", re, im, like="torch"),
    "jax": _lax_complex,
}


def cis(x: Any) -> Any:
    """exp(i·x) = cos x + i·sin x of a real ``x``, complex of matching precision."""
    c, s = ar.numpy.cos(x), ar.numpy.sin(x)
    make = _COMPLEX_FROM_PARTS.get(ar.infer_backend(x))
    if make is not None:
        return make(c, s)
    c = as_complex(c)
    out = c + 1j * as_complex(s)
    # NumPy 1 promotes a complex64 scalar times 1j to complex128: keep the precision
    return out if dtype_name(out) == dtype_name(c) else ar.astype(out, dtype_name(c))


def convert_like(x: Any, like: Any, dtype: str | None = None) -> Any:
    """``x`` (usually a NumPy constant) as an array of ``like``'s framework, device and dtype."""
    backend = ar.infer_backend(like)
    target = dtype or dtype_name(like)
    if backend in ("numpy", "builtins"):
        return np.asarray(x, dtype=target)
    if backend == "autograd":
        return np.asarray(x, dtype=target) if not hasattr(x, "_value") else x
    # a copy: read-only NumPy views (np.diag, broadcasts) must not become shared framework memory
    out = ar.do("asarray", np.array(x, dtype=target), like=backend)
    return _to_device(out, like)


def match_frameworks(a: Any, b: Any) -> tuple[Any, Any]:
    """``(a, b)`` where a NumPy operand meeting a framework array is brought into that array's
    framework, device and dtype (autograd works on NumPy values as they are)."""
    ba, bb = ar.infer_backend(a), ar.infer_backend(b)
    if ba == bb or "autograd" in (ba, bb):
        return a, b
    if ba in ("numpy", "builtins"):
        return convert_like(a, b), b
    if bb in ("numpy", "builtins"):
        return a, convert_like(b, a)
    return a, b


def _torch_to_device(out, like):
    return out.to(like.device) if out.device != like.device else out


_DEVICE_MOVERS = {"torch": _torch_to_device}


def _to_device(out: Any, like: Any) -> Any:
    mover = _DEVICE_MOVERS.get(ar.infer_backend(like))
    return mover(out, like) if mover else out


def asarray(x: Any, interface: str, dtype: str | None = None) -> Any:
    """``x`` as an array of the named interface."""
    backend = INTERFACE_TO_BACKEND[interface]
    if backend == "autograd":
        return np.asarray(x, dtype=dtype) if not hasattr(x, "_value") else x
    if dtype is not None:
        return ar.do("asarray", np.asarray(x, dtype=dtype), like=backend)
    return ar.do("asarray", x, like=backend)


def to_numpy(x: Any) -> np.ndarray:
    """A concrete NumPy copy of any framework's array (detached from autodiff)."""
    if isinstance(x, np.ndarray) and type(x) is np.ndarray:
        return x
    while hasattr(x, "_value"):  # autograd ArrayBox
        x = x._value
    return np.asarray(ar.to_numpy(x))


def is_abstract(x: Any) -> bool:
    """True for traced values whose numbers are unknown (jax.jit tracers, tf.function symbols)."""
    name = type(x).__name__
    if "Tracer" in name:
        return True
    if ar.infer_backend(x) == "tensorflow":
        import tensorflow as tf  # imported lazily: only reached with a TF tensor in hand

        return not tf.executing_eagerly()
    return False


def ndim(x: Any) -> int:
    if isinstance(x, (int, float, complex)):
        return 0
    return ar.ndim(x)


def shape(x: Any) -> tuple:
    if isinstance(x, (int, float, complex)):
        return ()
    # unknown (symbolic) dimensions are -1, which reshapes infer
    return tuple(int(s) if s is not None else -1 for s in ar.shape(x))


def zero_state(n_axes: int, params: list) -> tuple[Any, str, Any]:
    """The tensor |0…0⟩ with ``n_axes`` axes of size 2, in the framework, precision and device of
    a circuit's parameters (float32 parameters → complex64).

    Returns:
        ``(state, interface, like)``: ``like`` is an array of the framework, or None for NumPy and
        autograd, whose states start as NumPy arrays.
    """
    interface = get_interface(*params)
    arrays = [p for p in params if backend_of(p) == interface
              and not isinstance(p, (int, float, complex))]
    like = arrays[0] if arrays and interface not in ("numpy", "autograd") else None
    cdtype = complex_dtype(*arrays) if arrays else "complex128"
    zero = np.zeros((2,) * n_axes, dtype=cdtype)
    zero[(0,) * n_axes] = 1
    return (convert_like(zero, like, cdtype) if like is not None else zero), interface, like
