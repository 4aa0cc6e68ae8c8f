"""Generate docs/support-matrix.md by running every (interface × diff method × return type) cell.

Each cell builds a 2-qubit QNode, differentiates a real scalar function of its output through the
interface's own autodiff, and compares with central differences of the plain forward pass. The cell
records what happened: a verified gradient, an error (with its class), or a warning.

    python docs/generate_support_matrix.py           # rewrite docs/support-matrix.md
    python docs/generate_support_matrix.py --check   # exit 1 when the file is stale
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

import kettle as kt

from kettle.core import diff_methods  # noqa: E402

INTERFACES = [None, "autograd", "jax", "tf", "torch"]
#: every registered method whose gradient can be checked against finite differences (stochastic
#: estimates such as SPSA cannot), in the registry's order
METHODS = [e.name for e in diff_methods.methods() if not e.stochastic]
RETURNS = ["state", "density_matrix", "probs", "sample", "expval(Pauli)", "expval(Hermitian)",
           "expval(Projector)", "var", "vn_entropy", "mutual_info", "purity"]

#: cells the project promises (each registry entry's ``promised``); a verified cell outside this
#: set is marked as going further than required.
BASELINE = {name: set(diff_methods.get(name).promised) for name in METHODS}
X0 = np.array([0.4, -0.7])
HERM = np.array([[1.0, 0.5 - 0.2j], [0.5 + 0.2j, -0.3]])


def _measure(kind):
    return {
        "state": lambda: kt.state(),
        "density_matrix": lambda: kt.density_matrix(wires=[0]),
        "probs": lambda: kt.probs(wires=[0, 1]),
        "sample": lambda: kt.sample(kt.PauliZ(0)),
        "expval(Pauli)": lambda: kt.expval(kt.PauliZ(0) @ kt.PauliX(1)),
        "expval(Hermitian)": lambda: kt.expval(kt.Hermitian(HERM, wires=1)),
        "expval(Projector)": lambda: kt.expval(kt.Projector([1, 0], wires=[0, 1])),
        "var": lambda: kt.var(kt.PauliX(1)),
        "vn_entropy": lambda: kt.vn_entropy(wires=[0]),
        "mutual_info": lambda: kt.mutual_info(wires0=[0], wires1=[1]),
        "purity": lambda: kt.purity(wires=[1]),
    }[kind]()


def _circuit(kind):
    def circuit(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=1)
        kt.CNOT(wires=[0, 1])
        kt.RY(x[0] * x[1], wires=0)
        return _measure(kind)

    return circuit


def _scalar(out, xp):
    """A real scalar of any output (complex parts weighted differently)."""
    re = xp["real"](out)
    im = xp["imag"](out)
    shape = tuple(int(d) for d in getattr(re, "shape", np.shape(re)))
    w = np.linspace(0.3, 1.1, int(np.prod(shape))).reshape(shape) if shape else 0.7
    return xp["sum"](re * xp["const"](w, re)) + 0.5 * xp["sum"](im * xp["const"](w, re))


def _framework(name):
    """(to_array, scalar ops, gradient function) for an interface."""
    if name in ("autograd", None):
        from kettle import numpy as anp

        xp = {"real": anp.real, "imag": anp.imag, "sum": anp.sum, "const": lambda w, ref: w}
        return (lambda a: anp.array(a, requires_grad=True)), xp, (
            lambda f, x: np.asarray(kt.grad(f)(x)))
    if name == "torch":
        import torch

        def real(t):
            return t.real if t.is_complex() else t

        def imag(t):
            return t.imag if t.is_complex() else torch.zeros_like(t)

        xp = {"real": real, "imag": imag, "sum": torch.sum,
              "const": lambda w, ref: torch.as_tensor(w, dtype=ref.dtype)}

        def grad(f, x):
            x = x.detach().clone().requires_grad_(True)
            f(x).backward()
            return x.grad.numpy()

        return (lambda a: torch.tensor(a)), xp, grad
    if name == "tf":
        import tensorflow as tf

        xp = {"real": tf.math.real, "imag": tf.math.imag, "sum": tf.reduce_sum,
              "const": lambda w, ref: tf.constant(w, dtype=ref.dtype)}

        def grad(f, x):
            x = tf.Variable(x)
            with tf.GradientTape() as tape:
                y = f(x)
            g = tape.gradient(y, x)
            return None if g is None else g.numpy()  # TF's answer for what it cannot differentiate

        return (lambda a: tf.constant(a)), xp, grad
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    xp = {"real": jnp.real, "imag": jnp.imag, "sum": jnp.sum,
          "const": lambda w, ref: jnp.asarray(w, dtype=ref.dtype)}
    return (lambda a: jnp.asarray(a)), xp, (lambda f, x: np.asarray(jax.grad(f)(x)))


def _reference(kind):
    """Central differences of the plain NumPy forward pass of the same scalar."""
    dev = kt.device("default.qubit", wires=2)
    qn = kt.QNode(_circuit(kind), dev, diff_method=None)
    _, xp, _ = _framework("autograd")
    f = lambda x: float(_scalar(qn(x), xp))  # noqa: E731
    h = 1e-6
    return np.array([(f(X0 + h * e) - f(X0 - h * e)) / (2 * h) for e in np.eye(2)])


def run_cell(interface, method, kind) -> str:
    shots = 100 if kind == "sample" else None
    dev = kt.device("default.qubit", wires=2, shots=shots, seed=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            qn = kt.QNode(_circuit(kind), dev, interface=interface or None, diff_method=method) \
                if interface is not None else kt.QNode(_circuit(kind), dev, interface=None,
                                                      diff_method=method)
            to, xp, grad = _framework(interface)
            if interface is None:
                qn(X0)
                value = "forward only"
            else:
                g = grad(lambda x: _scalar(qn(x), xp), to(X0))
                if g is None:
                    value = "no gradient (None)"
                else:
                    ok = np.allclose(g, _reference(kind), atol=1e-5)
                    value = "✓" if ok else "✗ wrong value"
                    if ok and kind not in BASELINE[method]:
                        value = "✓⁺"
        except Exception as exc:  # the cell records what users get
            return f"error ({type(exc).__name__})"
    ours = [w for w in caught
            if issubclass(w.category, UserWarning) and "site-packages" not in str(w.filename)]
    if ours:
        value += " ⚠"
    return value


def generate() -> str:
    lines = [
        "# Differentiation support matrix",
        "",
        "Generated by `docs/generate_support_matrix.py` (a test fails when this file is stale). Each",
        "cell runs a 2-qubit circuit on default.qubit, differentiates a real scalar function of the",
        "output with the interface's own autodiff, and compares with central differences.",
        "",
        "Legend: ✓ verified gradient · ✓⁺ verified, beyond the required baseline · error (Class) the",
        "documented error · ⚠ with a warning (e.g. no autodiff framework, or shots ignored) · forward only",
        "(interface=None: no gradients, the forward pass works) · no gradient (None): TensorFlow's own",
        "answer for values it cannot differentiate (TF cannot tell which tensors a tape watches, so",
        "circuits returning samples run forward only).",
        "",
    ]
    for interface in INTERFACES:
        lines.append(f"## interface = {interface!r}")
        lines.append("")
        lines.append("| return type | " + " | ".join(METHODS) + " |")
        lines.append("|---" * (len(METHODS) + 1) + "|")
        for kind in RETURNS:
            cells = [run_cell(interface, m, kind) for m in METHODS]
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    path = Path(__file__).with_name("support-matrix.md")
    text = generate()
    if args.check:
        if not path.exists() or path.read_text() != text:
            print(f"{path} is stale; run python docs/generate_support_matrix.py", file=sys.stderr)
            return 1
        return 0
    path.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
