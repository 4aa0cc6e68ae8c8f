"""``kettle.numpy``: NumPy through autograd, with arrays that carry ``requires_grad``.

Arrays made through this module are :class:`tensor` objects (a NumPy array subclass) with
``requires_grad=True`` unless told otherwise; ``kt.grad`` differentiates exactly those arguments.
Every other function is autograd's NumPy, so functions written with it are differentiable.
"""
from __future__ import annotations

import builtins as _builtins
import functools
import sys
import types
from typing import Any

import autograd.numpy as _anp
import numpy as _np
from autograd.extend import VSpace
from autograd.numpy.numpy_boxes import ArrayBox
from autograd.numpy.numpy_vspaces import ArrayVSpace
from autograd.numpy import *  # noqa: F401,F403  (autograd's NumPy is the public surface)


class tensor(_np.ndarray):
    """A NumPy array with a ``requires_grad`` flag (True by default).

    Example:
        >>> from kettle import numpy as np
        >>> x = np.array([0.1, 0.2])            # requires_grad=True
        >>> y = np.array(0.5, requires_grad=False)
    """

    def __new__(cls, input_array, *args, requires_grad: bool = True, **kwargs):
        obj = _np.asarray(input_array, *args, **kwargs).view(cls)
        obj.requires_grad = requires_grad
        return obj

    def __array_finalize__(self, obj):
        self.requires_grad = getattr(obj, "requires_grad", True)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        # the result is trainable when any operand is: ``constant + x`` must not drop x's flag
        plain = [i.view(_np.ndarray) if isinstance(i, tensor) else i for i in inputs]
        if out is not None:
            kwargs["out"] = tuple(o.view(_np.ndarray) if isinstance(o, tensor) else o for o in out)
        result = super().__array_ufunc__(ufunc, method, *plain, **kwargs)
        if result is NotImplemented or method == "at":
            return result
        if out is not None:  # in place: the targets keep their own flags
            return out[0] if len(out) == 1 else out
        # the builtin: this module's ``any`` is NumPy's (star import)
        flag = _builtins.any(i.requires_grad for i in inputs if isinstance(i, tensor))

        def wrap(r):
            return tensor(r, requires_grad=flag) if isinstance(r, (_np.ndarray, _np.generic)) else r

        return tuple(wrap(r) for r in result) if isinstance(result, tuple) else wrap(result)

    def __repr__(self):
        body = repr(self.view(_np.ndarray))
        return f"tensor({body[6:-1] if body.startswith('array(') else body}, requires_grad={self.requires_grad})"

    def __reduce__(self):  # keep requires_grad through pickling
        ctor, args, state = super().__reduce__()
        return ctor, args, (state, self.requires_grad)

    def __setstate__(self, state):
        base, self.requires_grad = state
        super().__setstate__(base)

    def __getitem__(self, index):
        out = super().__getitem__(index)
        if not isinstance(out, _np.ndarray):  # scalars keep the flag as 0-d tensors
            out = tensor(out, requires_grad=self.requires_grad)
        return out

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def numpy(self) -> _np.ndarray:
        """A plain NumPy array view."""
        return self.view(_np.ndarray)

    def unwrap(self):
        """A plain NumPy array, or a Python scalar for 0-d tensors."""
        return self.item() if self.ndim == 0 else self.view(_np.ndarray)

    def __hash__(self):
        if self.ndim == 0:
            return hash(self.item())
        raise TypeError("unhashable type: 'tensor'")


ArrayBox.register(tensor)
VSpace.register(tensor, lambda x: ArrayVSpace(x))


def _as_tensor(out: Any, requires_grad: bool) -> Any:
    """``out`` as tensors: arrays (and lists or tuples of them, as ``meshgrid`` returns) become
    tensors; objects that are not numeric arrays (``choice`` over gate classes, an ``.npz`` archive)
    come back unchanged."""
    if isinstance(out, ArrayBox):
        return out
    if isinstance(out, (_np.ndarray, _np.generic)):
        if _np.asarray(out).dtype.kind not in "biufc":  # objects, strings: not differentiable
            return out
        return tensor(out, requires_grad=requires_grad)
    if isinstance(out, (list, tuple)) and out and _builtins.all(
            isinstance(o, _np.ndarray) for o in out):
        return type(out)(_as_tensor(o, requires_grad) for o in out)
    if isinstance(out, (_builtins.int, _builtins.float, _builtins.complex)) \
            and not isinstance(out, _builtins.bool):
        return tensor(out, requires_grad=requires_grad)
    return out


def _returns_tensor(fn):
    @functools.wraps(fn)
    def wrapper(*args, requires_grad: bool = True, **kwargs):
        return _as_tensor(fn(*args, **kwargs), requires_grad)

    return wrapper


#: every function of this module that makes an array from data, a shape or a file returns a tensor
CONSTRUCTORS = (
    "array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray", "copy", "zeros",
    "ones", "empty", "full", "eye", "identity", "arange", "linspace", "logspace", "geomspace",
    "zeros_like", "ones_like", "full_like", "empty_like", "diag", "diagflat", "tri", "stack",
    "hstack", "vstack", "dstack", "column_stack", "concatenate", "block", "meshgrid", "indices",
    "fromfunction", "fromiter", "frombuffer", "fromstring", "fromfile", "loadtxt", "genfromtxt",
    "load",
)
for _name in CONSTRUCTORS:
    globals()[_name] = _returns_tensor(getattr(_anp, _name))


class _RandomModule(types.ModuleType):
    """``kettle.numpy.random``: NumPy's random functions returning trainable tensors.

    ``choice`` over objects that are not numbers (gate classes, strings) returns the objects.
    """

    def __getattr__(self, name):
        attr = getattr(_np.random, name)
        if callable(attr) and not isinstance(attr, type) and name not in ("seed", "default_rng",
                                                                          "get_state", "set_state"):
            return _returns_tensor(attr)
        return attr


random = _RandomModule(__name__ + ".random")

# ``import kettle.numpy`` names this module (a root-level numpy.py would shadow NumPy itself).
sys.modules.setdefault("kettle.numpy", sys.modules[__name__])
sys.modules.setdefault("kettle.numpy.random", random)
