"""The API reference (docs/api/*.md, rendered by mkdocstrings) has an entry for every public name
of kettle, kettle.gradients, kettle.optimize, kettle.qnn, kettle.devices, kettle.errors (and
kettle.math once it exists)."""
from __future__ import annotations

import importlib
import importlib.util
import re
import types
from pathlib import Path

import pytest

import kettle

#: the source tree (the tests may run against an installed wheel, which has no docs)
ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "docs" / "api"
NAMESPACES = {"kettle": "kettle.md", "kettle.gradients": "gradients.md",
              "kettle.optimize": "optimize.md", "kettle.qnn": "qnn.md",
              "kettle.devices": "devices.md", "kettle.errors": "errors.md", "kettle.math": "math.md"}
#: names documented in prose rather than by their own entry: short aliases of other classes,
#: subpackages with pages of their own, and the version string
IN_PROSE = {"kettle": {"X", "Y", "Z", "H", "errors", "gradients", "optimize", "qnn", "__version__"}}
#: public names documented under another path
ELSEWHERE = {("kettle", "numpy"): "knumpy"}

pytestmark = pytest.mark.skipif(not API.exists(), reason="needs the source tree's docs/")


def public_names(module: types.ModuleType) -> set[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_")
                 and not isinstance(v, types.ModuleType)
                 and str(getattr(v, "__module__", module.__name__)).startswith(module.__name__)]
    return set(names)


def documented(page: Path) -> set[str]:
    """Last components of the ``::: dotted.path`` entries of a page."""
    return {m.group(1).rsplit(".", 1)[-1]
            for m in re.finditer(r"^::: ([\w.]+)\s*$", page.read_text(), re.M)}


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_public_name_has_a_reference_entry(namespace):
    if importlib.util.find_spec(namespace) is None:
        pytest.skip(f"{namespace} does not exist yet")
    page = API / NAMESPACES[namespace]
    assert page.exists(), f"add docs/api/{NAMESPACES[namespace]} (and its nav entry in mkdocs.yml)"
    names = public_names(importlib.import_module(namespace)) - IN_PROSE.get(namespace, set())
    entries = documented(page)
    missing = sorted(n for n in names if ELSEWHERE.get((namespace, n), n) not in entries)
    assert missing == [], f"add '::: {namespace}.NAME' entries to docs/api/{page.name}"


def test_every_api_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in API.glob("*.md"):
        assert f"api/{page.name}" in nav


def test_every_docs_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    missing = [p.name for p in (ROOT / "docs").glob("*.md") if f" {p.name}" not in nav]
    assert missing == [], "add these pages to the nav of mkdocs.yml"
