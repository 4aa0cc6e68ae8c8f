"""Optimizer errors: the type, the message (object, value, what is allowed) and the attributes."""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.errors import KettleError, OptimizerError

FIRST_ORDER = [kt.GradientDescentOptimizer, kt.MomentumOptimizer, kt.NesterovMomentumOptimizer,
               kt.AdagradOptimizer, kt.RMSPropOptimizer, kt.AdamOptimizer]


def test_error_class():
    assert issubclass(OptimizerError, KettleError) and issubclass(OptimizerError, ValueError)


@pytest.mark.parametrize("cls", FIRST_ORDER, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad", [0, -0.1, float("nan"), "0.1", None])
def test_stepsize_must_be_positive(cls, bad):
    with pytest.raises(OptimizerError, match=rf"{cls.__name__}: stepsize must be a positive number, "
                                             rf"got {bad!r}".replace("(", r"\(")) as info:
        cls(bad)
    assert info.value.optimizer == cls.__name__
    opt = cls(0.1)
    with pytest.raises(OptimizerError, match="stepsize must be a positive number"):
        opt.stepsize = -1.0
    assert opt.stepsize == 0.1


@pytest.mark.parametrize("make, message", [
    (lambda: kt.MomentumOptimizer(0.1, momentum=1.0), r"momentum must be a number in \[0, 1\), got 1.0"),
    (lambda: kt.AdamOptimizer(beta1=-0.1), r"beta1 must be a number in \[0, 1\), got -0.1"),
    (lambda: kt.AdamOptimizer(eps=0.0), "eps must be a positive number, got 0.0"),
    (lambda: kt.RMSPropOptimizer(decay=1.5), r"decay must be a number in \[0, 1\), got 1.5"),
    (lambda: kt.SPSAOptimizer(maxiter=0), "maxiter must be a positive integer, got 0"),
    (lambda: kt.SPSAOptimizer(a=-1.0), "SPSAOptimizer: a must be a positive number, got -1.0"),
    (lambda: kt.SPSAOptimizer(c=0), "SPSAOptimizer: c must be a positive number, got 0"),
    (lambda: kt.RotoselectOptimizer([kt.RX, kt.CNOT]), "one-parameter gate classes"),
])
def test_bad_hyper_parameters(make, message):
    with pytest.raises(OptimizerError, match=message):
        make()


def vector_cost(x):
    return np.sin(x)


OPTIMIZERS = [lambda: kt.GradientDescentOptimizer(0.1), lambda: kt.AdamOptimizer(),
              lambda: kt.SPSAOptimizer(seed=1), lambda: kt.RotosolveOptimizer()]


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["gd", "adam", "spsa", "rotosolve"])
def test_cost_must_return_a_real_scalar(make):
    opt = make()
    with pytest.raises(OptimizerError, match=r"needs a cost that returns a real scalar, but it "
                                             r"returned an array of shape \(2,\)") as info:
        opt.step(vector_cost, np.array([0.1, 0.2]))
    assert info.value.optimizer == opt.name and onp.shape(info.value.value) == (2,)
    with pytest.raises(OptimizerError, match="returned a tuple of 2 value"):
        opt.step(lambda x: (np.sum(x), np.sum(x)), np.array([0.1, 0.2]))


def test_qnode_with_several_measurements_is_not_a_cost():
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev)
    def circuit(x):
        kt.RX(x, wires=0)
        return kt.probs(wires=[0])

    with pytest.raises(OptimizerError, match=r"returned an array of shape \(2,\)"):
        kt.GradientDescentOptimizer(0.1).step(circuit, np.array(0.3))


def test_nothing_trainable():
    with pytest.raises(OptimizerError, match=r"none of the 2 argument\(s\) is trainable; create them "
                                             r"with kettle.numpy"):
        kt.GradientDescentOptimizer(0.1).step(lambda x, y: x * y, 1.0, onp.array(2.0))


def test_argnum_errors():
    f = lambda x, y: np.sum(x * y)  # noqa: E731
    frozen = np.array([1.0], requires_grad=False)
    with pytest.raises(OptimizerError, match="argument 1 is selected by argnum but has "
                                             "requires_grad=False"):
        kt.GradientDescentOptimizer(0.1, argnum=1).step(f, np.array([1.0]), frozen)
    with pytest.raises(OptimizerError, match=r"argnum=5 is not the index of one of the 2 argument"):
        kt.AdamOptimizer().step(f, np.array([1.0]), frozen, argnum=5)
    with pytest.raises(OptimizerError, match=r"argument 0 is 'abc' \(dtype <U3\); only real numbers"):
        kt.GradientDescentOptimizer(0.1, argnum=0).step(f, "abc", frozen)


def test_shape_change_needs_reset():
    opt = kt.AdamOptimizer()
    f = lambda x: np.sum(x ** 2)  # noqa: E731
    opt.step(f, np.array([1.0, 2.0]))
    with pytest.raises(OptimizerError, match=r"argument 0 has shape \(3,\) but the optimizer's state "
                                             r"for it has shape \(2,\); call opt.reset\(\)"):
        opt.step(f, np.array([1.0, 2.0, 3.0]))
    opt.reset()
    assert opt.step(f, np.array([1.0, 2.0, 3.0])).shape == (3,)


def test_grad_fn_errors():
    f = lambda x, y: np.sum(x) * np.sum(y)  # noqa: E731
    with pytest.raises(OptimizerError, match="grad_fn must return a tuple of 2 gradients"):
        kt.GradientDescentOptimizer(0.1).step(f, np.ones(2), np.ones(3), grad_fn=lambda x, y: x)
    with pytest.raises(OptimizerError, match=r"gradient of shape \(3,\) for argument 0 of shape \(2,\)"):
        kt.GradientDescentOptimizer(0.1).step(lambda x: np.sum(x), np.ones(2),
                                              grad_fn=lambda x: onp.ones(3))
    with pytest.raises(OptimizerError, match="SPSAOptimizer does not use gradients; drop grad_fn"):
        kt.SPSAOptimizer().step(lambda x: np.sum(x), np.ones(2), grad_fn=lambda x: x)


def test_minimize_arguments():
    opt = kt.GradientDescentOptimizer(0.1)
    f = lambda x: np.sum(x ** 2)  # noqa: E731
    with pytest.raises(OptimizerError, match="steps must be a positive integer, got 0"):
        opt.minimize(f, np.ones(2), steps=0)
    with pytest.raises(OptimizerError, match="tol must be a non-negative number, got -1"):
        opt.minimize(f, np.ones(2), tol=-1)


def test_rotosolve_option_and_inference_errors():
    with pytest.raises(OptimizerError, match=r"spectra for argument 0 entry \(0,\) must be a non-empty "
                                             r"sequence of positive frequencies, got \[0.0\]"):
        kt.RotosolveOptimizer(spectra=[0.0]).step(lambda x: np.sum(np.cos(x)), np.ones(2))
    with pytest.raises(OptimizerError, match=r"nums_frequency for argument 0 entry \(\) must be a "
                                             r"positive integer, got 1.5"):
        kt.RotosolveOptimizer().step(lambda x: np.cos(x), np.array(0.1), nums_frequency=1.5)

    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev)
    def squared(x):
        kt.RX(x ** 2, wires=0)
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(OptimizerError, match="cannot infer the frequencies of squared: its gate angles "
                                             "are not linear functions"):
        kt.RotosolveOptimizer().step(squared, np.array(0.5))
    # telling the optimizer the frequencies is the way out (cos(x²) is not periodic in x, but the
    # step still returns a finite update)
    assert onp.isfinite(kt.RotosolveOptimizer(spectra=[1.0]).step(squared, np.array(0.5)))


def test_rotoselect_generators_must_match_the_parameters():
    with pytest.raises(OptimizerError, match=r"generators must be a list with one gate class per "
                                             r"parameter \(3\)"):
        kt.RotoselectOptimizer().step(lambda x, g: np.sum(x), np.ones(3), [kt.RX, kt.RY])


def test_zero_dimensional_array_hyper_parameters_are_numbers():
    """np.array(0.1) works like 0.1 (a step of x² from x = 1 goes to 1 − 0.1·2 = 0.8)."""
    opt = kt.GradientDescentOptimizer(onp.array(0.1))
    assert opt.stepsize == 0.1 and isinstance(opt.stepsize, float)
    assert float(opt.step(lambda x: x ** 2, np.array(1.0))) == pytest.approx(0.8, abs=1e-12)
    with pytest.raises(OptimizerError, match="stepsize must be a positive number, got -0.5"):
        kt.GradientDescentOptimizer(onp.array(-0.5))


@pytest.mark.parametrize("framework, hint", [
    pytest.param("torch", "torch.optim", marks=pytest.mark.torch),
    pytest.param("tf", "a Keras optimizer", marks=pytest.mark.tf),
    pytest.param("jax", "optax", marks=pytest.mark.jax),
])
def test_framework_tensors_are_refused_with_the_framework_optimizer_named(framework, hint):
    if framework == "torch":
        import torch
        x = torch.tensor([0.1, 0.2], requires_grad=True)
    elif framework == "tf":
        import tensorflow as tf
        x = tf.Variable([0.1, 0.2])
    else:
        import jax.numpy as jnp
        x = jnp.array([0.1, 0.2])
    with pytest.raises(OptimizerError, match=rf"GradientDescentOptimizer: argument 0 is a {framework} "
                                             rf"tensor; kettle's optimizers step NumPy arrays "
                                             rf"\(kettle.numpy\). Convert it, or train it with "
                                             rf"{hint}, which works on QNodes directly"):
        kt.GradientDescentOptimizer(0.1).step(lambda v: (v ** 2).sum(), x)
