"""QNode gradients in every framework, with the gradient tapes on a process pool or a Dask cluster,
equal the serial ones to 1e-12 — and the cluster really ran them (Dask's task stream)."""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing

import numpy as onp
import pytest

import kettle as kt

distributed = pytest.importorskip("distributed")

METHODS = {
    "parameter-shift": {},
    "finite-diff": {"h": 1e-6, "strategy": "center"},
    "spsa": {"h": 1e-4, "num_directions": 3, "sampler_rng": 11},
}
W = onp.array([0.4, -1.1, 0.8])


#: workers start fresh (forking a process that runs JAX or TF threads can deadlock)
SPAWN = multiprocessing.get_context("spawn")

@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def pool():
    with cf.ProcessPoolExecutor(max_workers=2, mp_context=SPAWN) as ex:
        yield ex


def _qnode(executor, method):
    dev = kt.device("default.qubit", wires=2, executor=executor)

    @kt.qnode(dev, diff_method=method, **METHODS[method])
    def circuit(w):
        kt.RX(w[0], wires=0)
        kt.RY(w[1], wires=1)
        kt.CNOT(wires=[0, 1])
        kt.RZ(w[2], wires=1)
        kt.RX(0.3, wires=1)
        return kt.expval(kt.PauliZ(1) @ kt.PauliY(0) + 0.7 * kt.PauliZ(0))

    return circuit


def _grad_autograd(qnode):
    from kettle import numpy as np

    return onp.asarray(kt.grad(qnode)(np.array(W, requires_grad=True)))


def _grad_torch(qnode):
    torch = pytest.importorskip("torch")
    w = torch.tensor(W, requires_grad=True)
    qnode(w).backward()
    return w.grad.numpy()


def _grad_tf(qnode):
    tf = pytest.importorskip("tensorflow")
    w = tf.Variable(W)
    with tf.GradientTape() as tape:
        out = qnode(w)
    return tape.gradient(out, w).numpy()


def _grad_jax(qnode):
    jax = pytest.importorskip("jax")
    return onp.asarray(jax.grad(qnode)(jax.numpy.array(W)))


FRAMEWORKS = {
    "autograd": _grad_autograd,
    "torch": pytest.param(_grad_torch, marks=pytest.mark.torch),
    "tf": pytest.param(_grad_tf, marks=pytest.mark.tf),
    "jax": pytest.param(_grad_jax, marks=pytest.mark.jax),
}


def _tasks(stream) -> int:
    return sum(1 for t in stream.data if "_run_chunk" in t["key"])


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("grad", list(FRAMEWORKS.values()), ids=list(FRAMEWORKS))
def test_gradient_on_dask_equals_serial(client, grad, method):
    serial = grad(_qnode(None, method))
    with distributed.get_task_stream(client) as stream:
        on_dask = grad(_qnode(client, method))
    onp.testing.assert_allclose(on_dask, serial, rtol=0, atol=1e-12)
    # the gradient tapes ran as tasks on the cluster (small-state tapes of one structure are
    # merged into broadcast simulations first, and JAX's host call sends the forward and the
    # gradient tapes in one batch: at least one task)
    assert _tasks(stream) >= 1
    assert onp.all(onp.isfinite(serial)) and onp.any(onp.abs(serial) > 1e-3)


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("grad", list(FRAMEWORKS.values()), ids=list(FRAMEWORKS))
def test_gradient_on_a_process_pool_equals_serial(pool, grad, method):
    onp.testing.assert_allclose(grad(_qnode(pool, method)), grad(_qnode(None, method)),
                                rtol=0, atol=1e-12)


def test_parameter_shift_gradient_is_the_analytic_one(client):
    """<Z1 Y0> + 0.7 <Z0> after the circuit, differentiated by central differences of a dense
    NumPy reference (independent of kettle's simulator)."""
    def ref(w):
        def rx(t):
            return onp.array([[onp.cos(t / 2), -1j * onp.sin(t / 2)],
                              [-1j * onp.sin(t / 2), onp.cos(t / 2)]])

        def ry(t):
            return onp.array([[onp.cos(t / 2), -onp.sin(t / 2)], [onp.sin(t / 2), onp.cos(t / 2)]])

        rz = onp.diag([onp.exp(-1j * w[2] / 2), onp.exp(1j * w[2] / 2)])
        cnot = onp.eye(4)[[0, 1, 3, 2]]
        psi = onp.kron(onp.eye(2), rx(0.3) @ rz) @ cnot @ onp.kron(rx(w[0]), ry(w[1])) @ [1, 0, 0, 0]
        y, z = onp.array([[0, -1j], [1j, 0]]), onp.diag([1.0, -1.0])
        obs = onp.kron(y, z) + 0.7 * onp.kron(z, onp.eye(2))
        return float(onp.real(psi.conj() @ obs @ psi))

    h = 1e-6
    expected = [(ref(W + h * e) - ref(W - h * e)) / (2 * h) for e in onp.eye(3)]
    onp.testing.assert_allclose(_grad_autograd(_qnode(client, "parameter-shift")), expected,
                                atol=1e-8)


def test_a_qnode_s_executor_overrides_its_device_s(client, pool):
    dev = kt.device("default.qubit", wires=2, executor=pool)

    @kt.qnode(dev, diff_method="parameter-shift", executor=client)
    def circuit(w):
        kt.RX(w[0], wires=0)
        kt.RY(w[1], wires=0)
        return kt.expval(kt.PauliZ(0))

    from kettle import numpy as np

    with distributed.get_task_stream(client) as stream:
        g = kt.grad(circuit)(np.array([0.3, 0.5], requires_grad=True))
    assert _tasks(stream) >= 2
    # d/dw of cos(w0) cos(w1)
    onp.testing.assert_allclose(g, [-onp.sin(0.3) * onp.cos(0.5), -onp.cos(0.3) * onp.sin(0.5)],
                                atol=1e-12)
