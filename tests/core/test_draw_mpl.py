"""kt.draw_mpl: a PNG is written and the picture has the patches the circuit calls for; kt.draw at
level="device" shows the device's decompositions."""
from __future__ import annotations

import pytest

import kettle as kt
from kettle.errors import DrawError

pytestmark = pytest.mark.draw


def _gids(ax) -> dict[str, int]:
    counts: dict[str, int] = {}
    for artist in [*ax.patches, *ax.lines]:
        gid = artist.get_gid()
        if gid:
            counts[gid] = counts.get(gid, 0) + 1
    return counts


@pytest.fixture
def circuit():
    dev = kt.device("default.qubit", wires=3)

    @kt.qnode(dev)
    def circuit(w, x):
        kt.Hadamard(wires=0)
        kt.CNOT(wires=[0, 1])          # one control dot and one ⊕
        kt.CRY(x, wires=[1, 2])         # one control dot and one box
        kt.Toffoli(wires=[0, 1, 2])     # two control dots and one ⊕
        kt.SWAP(wires=[0, 2])           # two crosses
        kt.BasicEntanglerLayers(w, wires=[0, 1, 2])
        return kt.expval(kt.PauliZ(0)), kt.probs(wires=[1, 2])

    return circuit


W = [[0.1, 0.2, 0.3]]


def test_png_is_written_with_the_expected_patches(circuit, tmp_path):
    fig, ax = kt.draw_mpl(circuit)(W, 0.5)
    # boxes: Hadamard, CRY's target, one box for the whole template; meters on wires 0, 1, 2
    assert _gids(ax) == {"gate": 3, "control": 4, "target": 2, "swap": 4, "measure": 3}
    texts = [t.get_text() for t in ax.texts]
    assert "RY(0.50)" in texts and "BasicEntanglerLayers" in texts and "H" in texts
    assert "⟨Z⟩" in texts and "probs" in texts
    path = tmp_path / "circuit.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 2000


def test_device_level_expands_the_template(circuit):
    _, ax = kt.draw_mpl(circuit, level="device", decimals=None)(W, 0.5)
    # BasicEntanglerLayers → RX on each wire and a ring of three CNOTs; CRY stays (default.qubit
    # applies it), so boxes: H, RY target, 3 RX
    gids = _gids(ax)
    assert gids["gate"] == 5 and gids["target"] == 2 + 3 and gids["control"] == 4 + 3
    assert "RX" in [t.get_text() for t in ax.texts]


def test_draws_onto_a_given_axes_and_applies_the_style(circuit):
    import matplotlib.pyplot as plt

    fig, given = plt.subplots()
    out_fig, ax = kt.draw_mpl(circuit, ax=given, gate_facecolor="#ff0000", fontsize=9)(W, 0.5)
    assert ax is given and out_fig is fig
    boxes = [p for p in ax.patches if p.get_gid() == "gate"]
    assert all(p.get_facecolor()[:3] == (1.0, 0.0, 0.0) for p in boxes)
    plt.close("all")


def test_unknown_style_option_and_level_are_errors(circuit):
    with pytest.raises(DrawError, match=r"unknown draw_mpl option\(s\) \['colour'\]"):
        kt.draw_mpl(circuit, colour="red")
    with pytest.raises(DrawError, match="unknown drawing level 'gates'; use one of 'top', 'device'"):
        kt.draw_mpl(circuit, level="gates")(W, 0.5)


def test_text_drawing_at_device_level():
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def circuit(w):
        kt.BasicEntanglerLayers(w, wires=[0, 1])
        return kt.expval(kt.PauliZ(0))

    assert kt.draw(circuit)([[0.1, 0.2]]) == (
        "0: ──╭BasicEntanglerLayers─┤  ⟨Z⟩\n"
        "1: ──╰BasicEntanglerLayers─┤")
    # two wires: the entangling "ring" is the one CNOT
    assert kt.draw(circuit, level="device")([[0.1, 0.2]]) == (
        "0: ──RX(0.10)─╭●─┤  ⟨Z⟩\n"
        "1: ──RX(0.20)─╰X─┤")
