"""The public surface: ``kettle.__all__`` lists exactly the public names, and every public gate,
observable, channel, template and measurement says what it is in its own docstring."""
from __future__ import annotations

import inspect
import types

import kettle as kt
from kettle.core.operator import Operator

#: submodules that are attributes of kettle only because kettle imports from them
_IMPLICIT_MODULES = {"core", "devices", "interfaces", "compiler"}


def test_all_lists_every_public_name_once():
    assert len(kt.__all__) == len(set(kt.__all__))
    missing = [n for n in kt.__all__ if not hasattr(kt, n)]
    assert missing == []
    public = {n for n, v in vars(kt).items() if not n.startswith("_")
              and not (isinstance(v, types.ModuleType) and n in _IMPLICIT_MODULES)}
    public |= {"__version__"}
    assert public - set(kt.__all__) == set(), "add these names to __all__ in __init__.py"
    assert set(kt.__all__) - public == set()


def _own_doc(obj) -> str:
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    return inspect.cleandoc(doc or "")


def test_every_public_operator_has_its_own_docstring():
    operators = [getattr(kt, n) for n in kt.__all__
                 if inspect.isclass(getattr(kt, n)) and issubclass(getattr(kt, n), Operator)]
    assert len(operators) > 50
    undocumented = sorted({op.__name__ for op in operators if not _own_doc(op)})
    assert undocumented == []


def test_parametrized_gates_state_their_generator():
    one_param = [getattr(kt, n) for n in kt.__all__ if inspect.isclass(getattr(kt, n))
                 and issubclass(getattr(kt, n), kt.Operation) and getattr(kt, n).num_params == 1
                 and "generator" in vars(getattr(kt, n))]
    assert {g.__name__ for g in one_param} >= {"RX", "RY", "RZ", "PhaseShift", "IsingZZ"}
    assert [g.__name__ for g in one_param if "Generator" not in _own_doc(g)] == []


def test_help_of_rx_gives_matrix_convention_and_generator():
    doc = _own_doc(kt.RX)
    assert "exp(−iθX/2)" in doc and "Generator X/2" in doc
    assert "[[cos θ/2, −i sin θ/2], [−i sin θ/2, cos θ/2]]" in doc


def test_every_measurement_function_has_a_docstring():
    names = ["expval", "var", "probs", "sample", "counts", "state", "density_matrix", "vn_entropy",
             "mutual_info", "purity"]
    assert [n for n in names if not _own_doc(getattr(kt, n))] == []
