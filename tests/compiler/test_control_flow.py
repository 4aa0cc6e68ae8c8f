"""``kt.for_loop``, ``kt.while_loop`` and ``kt.cond``: compiled results equal the Python program,
and the compiled program does not grow with the number of iterations."""
from __future__ import annotations

import math

import numpy as onp
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
optax = pytest.importorskip("optax")

import kettle as kt  # noqa: E402
from kettle.errors import ControlFlowError  # noqa: E402

pytestmark = pytest.mark.jax


def program(n, x):
    """A loop with a branch per iteration, then a while loop; ``reference`` unrolls it."""

    @kt.for_loop(0, n, 1)
    def loop(i, acc, y):
        @kt.cond(i % 3 == 0)
        def term():
            return jnp.sin(y * i)

        @term.else_if(i % 3 == 1)
        def term():
            return jnp.cos(y) * 2.0

        @term.otherwise
        def term():
            return -0.5 * y

        return acc + term(), y * 1.01

    acc, y = loop(0.0, x)

    @kt.while_loop(lambda a, k: a < 100.0)
    def grow(a, k):
        return a * 2.0 + y, k + 1

    return grow(jnp.abs(acc) + 0.1, 0)


def reference(n, x):
    acc, y = 0.0, x
    for i in range(n):
        if i % 3 == 0:
            acc += math.sin(y * i)
        elif i % 3 == 1:
            acc += math.cos(y) * 2.0
        else:
            acc += -0.5 * y
        y *= 1.01
    a, k = abs(acc) + 0.1, 0
    while a < 100.0:
        a, k = a * 2.0 + y, k + 1
    return a, k


@pytest.mark.parametrize("n", [0, 1, 7])
def test_compiled_and_eager_results_equal_the_python_program(n):
    want = reference(n, 0.3)
    for got in (program(n, 0.3), kt.qjit(program, static_argnums=0)(n, 0.3)):
        onp.testing.assert_allclose(got[0], want[0], rtol=1e-12)
        assert int(got[1]) == want[1]


def test_loop_bounds_may_be_runtime_values():
    f = kt.qjit(program)  # n traced: one program serves every trip count
    for n in (2, 5, 9):
        onp.testing.assert_allclose(f(n, 0.3)[0], reference(n, 0.3)[0], rtol=1e-12)
    assert f.compiled_count == 1


def test_negative_steps_and_empty_ranges():
    def countdown(lo, hi, step):
        @kt.for_loop(lo, hi, step)
        def loop(i, acc):
            return acc * 10 + i

        return loop(0)

    for lo, hi, step in [(5, 0, -2), (0, 5, 2), (3, 3, 1), (5, 0, 1)]:
        want = 0
        for i in range(lo, hi, step):
            want = want * 10 + i
        assert int(kt.qjit(countdown, static_argnums=(0, 1, 2))(lo, hi, step)) == want
        assert int(kt.qjit(countdown)(lo, hi, step)) == want  # traced bounds
        assert countdown(lo, hi, step) == want  # eager: a Python loop


def test_program_size_does_not_grow_with_the_loop_count():
    def lowered(n, structured):
        def f(x):
            if structured:
                return kt.for_loop(0, n, 1)(lambda i, v: jnp.sin(v) * 1.1 + i)(x)
            for i in range(n):  # the unrolled program, for comparison
                x = jnp.sin(x) * 1.1 + i
            return x

        return len(kt.qjit(f).lower(0.2).as_text())

    assert abs(lowered(1000, True) - lowered(10, True)) < 20  # only the constant's digits differ
    assert lowered(100, False) > 5 * lowered(10, False)


def test_gradient_through_a_loop_of_qnodes():
    """x ↦ RX applied n times by a loop around a QNode call: ⟨Z⟩ = cos(n x)."""
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev, diff_method="adjoint")
    def circuit(angle):
        kt.RX(angle, wires=0)
        return kt.expval(kt.PauliZ(0))

    @kt.qjit
    def f(x):
        @kt.for_loop(0, 4, 1)
        def loop(i, total):
            return total + circuit(x * (i + 1))

        return loop(0.0)

    got = kt.qjit(kt.value_and_grad(f))(0.3)
    k = onp.arange(1, 5)
    onp.testing.assert_allclose(got, [onp.sum(onp.cos(k * 0.3)), -onp.sum(k * onp.sin(k * 0.3))],
                                atol=1e-12)


def test_loops_and_conditions_inside_a_qnode_record_gates_with_static_values():
    dev = kt.device("default.qubit", wires=3)

    @kt.qnode(dev)
    def circuit(x, n):
        @kt.for_loop(0, n, 1)
        def layer(i):
            kt.RY(x * (i + 1), wires=i)

            @kt.cond(i > 0)
            def entangle():
                kt.CNOT(wires=[i - 1, i])

            entangle()

        layer()
        return kt.expval(kt.PauliZ(2))

    @kt.qnode(dev)
    def unrolled(x):
        kt.RY(x, wires=0)
        kt.RY(2 * x, wires=1)
        kt.CNOT(wires=[0, 1])
        kt.RY(3 * x, wires=2)
        kt.CNOT(wires=[1, 2])
        return kt.expval(kt.PauliZ(2))

    compiled = kt.qjit(circuit, static_argnums=1)
    onp.testing.assert_allclose(compiled(0.4, 3), unrolled(jnp.array(0.4)), atol=1e-12)
    onp.testing.assert_allclose(kt.qjit(kt.grad(lambda x: circuit(x, 3)))(0.4),
                                jax.grad(unrolled)(0.4), atol=1e-12)


def test_optimization_loop_compiles_as_one_program():
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev, diff_method="parameter-shift")
    def energy(w):
        kt.RY(w[0], wires=0)
        kt.RY(w[1], wires=1)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1) + 0.5 * kt.PauliX(0))

    opt = optax.adam(0.2)

    def train(w):
        @kt.for_loop(0, 30, 1)
        def step(i, w, state):
            g = kt.grad(energy)(w)
            updates, state = opt.update(g, state)
            return optax.apply_updates(w, updates), state

        w, _ = step(w, opt.init(w))
        return w, energy(w)

    w0 = jnp.array([0.3, 2.5])
    compiled = kt.qjit(train)
    w, e = compiled(w0)
    w_eager, e_eager = train(w0)
    onp.testing.assert_allclose(w, w_eager, atol=1e-10)
    # lowest eigenvalue of Z⊗Z + X/2 is −√(1 + 1/4)
    assert e < energy(w0) and e < -1.0
    assert compiled.compiled_count == 1 and "while" in compiled.lower(w0).as_text()


# --------------------------------------------------------------------------------- errors

def test_errors_name_the_problem():
    with pytest.raises(ControlFlowError, match=r"^kt.for_loop got step=0; the step must be a "
                                               r"non-zero integer$"):
        kt.for_loop(0, 3, 0)(lambda i: None)()
    with pytest.raises(ControlFlowError, match=r"^kt.for_loop carries 2 values, so its body must "
                                               r"return a tuple of 2 values, got 1.0"):
        kt.for_loop(0, 3, 1)(lambda i, a, b: a)(1.0, 2.0)
    with pytest.raises(ControlFlowError, match=r"^kt.for_loop cannot be compiled: its body must "
                                               r"return values of the same structure, shapes and "
                                               r"dtypes as it receives"):
        kt.qjit(lambda x: kt.for_loop(0, 3, 1)(lambda i, a: a * x)(jnp.int32(0)))(
            jnp.array([1.5, 2.0]))
    with pytest.raises(ControlFlowError, match=r"^kt.cond cannot be compiled: all branches must "
                                               r"return values of the same structure, shapes and "
                                               r"dtypes. Without an otherwise branch every branch "
                                               r"must return nothing; add one with @f.otherwise."):
        kt.qjit(lambda x: kt.cond(x > 0)(lambda: x)())(1.0)


def test_a_second_otherwise_branch_is_refused():
    cond = kt.cond(True)(lambda: 1.0)

    def first():
        return 2.0

    cond.otherwise(first)
    with pytest.raises(ControlFlowError, match=r"^kt.cond already has an otherwise branch \(first\)"):
        cond.otherwise(lambda: 3.0)
    assert cond() == 1.0


@pytest.mark.parametrize("bounds, name, value", [((0, 3.0, 1), "upper", "3.0"),
                                                  ((0.5, 3, 1), "lower", "0.5"),
                                                  ((0, 3, True), "step", "True")])
def test_loop_bounds_must_be_integers(bounds, name, value):
    message = (rf"^kt.for_loop got {name}={value}; lower, upper and step must be integers "
               r"\(Python ints, or integer scalars inside kt.qjit\)")
    loop = kt.for_loop(*bounds)(lambda i, acc: acc + 1.0)
    with pytest.raises(ControlFlowError, match=message):
        loop(0.0)
    with pytest.raises(ControlFlowError, match=message):
        kt.qjit(lambda x: loop(x))(0.0)


def test_errors_raised_by_user_code_inside_bodies_are_not_blamed_on_the_structure():
    """A Python ``if`` on a traced value, or float() of one, inside a body, branch or condition
    reaches the user as JAX's own error, not as a structure mismatch."""
    def python_if(a):
        def body(i, acc):
            return acc + 1.0 if a > 1.0 else acc
        return kt.for_loop(0, 3, 1)(body)(0.0)

    def float_in_branch(x):
        @kt.cond(x > 0)
        def branch():
            return float(x)

        @branch.otherwise
        def branch():
            return 0.0

        return branch()

    def bool_in_condition(x):
        return kt.while_loop(lambda v: bool(v < 10.0))(lambda v: 2 * v)(x)

    for program in (python_if, float_in_branch, bool_in_condition):
        with pytest.raises(jax.errors.ConcretizationTypeError) as info:
            kt.qjit(program)(2.0)
        assert not isinstance(info.value, ControlFlowError)


def test_traced_condition_inside_an_unrolling_qnode_is_an_error():
    """Parameter-shift QNodes unroll their loops (each gate is shifted), so a predicate known only
    at run time cannot be honoured; outside kt.qjit, jax.jit makes the same value a tracer."""
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit(x):
        @kt.cond(x > 0.5)
        def flip():
            kt.PauliX(wires=0)

        flip()
        return kt.expval(kt.PauliZ(0))

    assert float(circuit(0.9)) == -1.0  # eager: the predicate is a concrete value
    with pytest.raises(ControlFlowError, match=r"^kettle control flow inside this QNode got a loop "
                                               r"bound or predicate that is a traced value, but "
                                               r"its gates are unrolled here \(diff_method="
                                               r"'parameter-shift' differentiates the gates one by "
                                               r"one; use diff_method='backprop'"):
        kt.qjit(circuit)(0.9)
    with pytest.raises(ControlFlowError, match=r"\(outside kt.qjit, QNodes record each gate, so "
                                               r"loops are unrolled\); make the bound or predicate "
                                               r"a Python number"):
        jax.jit(circuit)(0.9)
