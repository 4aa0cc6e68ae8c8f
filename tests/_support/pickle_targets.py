"""Module-level QNodes for the pickling tests (pickle finds them by their import path)."""
import kettle as kt

dev = kt.device("default.qubit", wires=2)


@kt.qnode(dev, diff_method="parameter-shift")
def decorated(x):
    kt.RX(x, wires=0)
    kt.CNOT(wires=[0, 1])
    return kt.expval(kt.PauliZ(1))


def plain(x):
    kt.RY(x, wires=0)
    return kt.expval(kt.PauliZ(0))


@kt.qnode(dev)
def layer_circuit(inputs, w):
    kt.RX(inputs[..., 0], wires=0)
    kt.RY(w, wires=0)
    return kt.expval(kt.PauliZ(0))
