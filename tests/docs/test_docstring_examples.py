"""Every ``>>>`` example in kettle's docstrings runs as a doctest.

Examples are found statically (no framework is imported to collect them) and run in a namespace
holding ``kt`` (kettle) and ``np`` (``kettle.numpy``); an example that uses a framework is marked
for it, so it is skipped where that framework is not installed. Each runs in its own temporary
directory, so examples may write files.
"""
from __future__ import annotations

import ast
import doctest
import re
from pathlib import Path

import pytest

import kettle

ROOT = Path(kettle.__file__).parent
NOT_PACKAGE = {"tests", "docs", "examples", "benchmarks", "build", "dist", "site"}
FRAMEWORKS = {"torch": r"\btorch\.", "tf": r"\btf\.|tensorflow", "jax": r"\bjax\b|\bjnp\.",
              "keras": r"\bkeras\b", "draw": r"draw_mpl|\.plot\(|matplotlib"}


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in NOT_PACKAGE or rel.parts[0].startswith(".") or "build" in rel.parts:
            continue
        yield rel


def examples() -> list[tuple[str, str, int, str]]:
    """(module file, qualified name, line, docstring) of every docstring with a ``>>>`` example."""
    found = []
    for rel in _sources():
        tree = ast.parse((ROOT / rel).read_text())

        def visit(node, prefix):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    name = f"{prefix}{child.name}"
                    doc = ast.get_docstring(child)
                    if doc and ">>>" in doc:
                        found.append((rel.as_posix(), name, child.lineno, doc))
                    visit(child, name + ".")

        doc = ast.get_docstring(tree)
        if doc and ">>>" in doc:
            found.append((rel.as_posix(), "<module>", 1, doc))
        visit(tree, "")
    return found


def _param(example):
    path, name, _, doc = example
    marks = [getattr(pytest.mark, fw) for fw, pattern in FRAMEWORKS.items()
             if re.search(pattern, doc.split(">>>", 1)[1])]
    return pytest.param(example, marks=marks, id=f"{path}::{name}")


def test_examples_are_found():
    names = {name for _, name, _, _ in examples()}
    assert {"draw", "specs", "draw_mpl"} <= names


@pytest.mark.parametrize("example", [_param(e) for e in examples()])
def test_docstring_example_runs(example, tmp_path, monkeypatch):
    path, name, line, doc = example
    monkeypatch.chdir(tmp_path)
    globs = {"kt": kettle, "np": kettle.numpy, "__name__": "__doctest__"}
    test = doctest.DocTestParser().get_doctest(doc, globs, f"{path}::{name}", str(ROOT / path), line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    runner.run(test, out=report.append)
    try:
        import matplotlib.pyplot as plt

        plt.close("all")
    except ImportError:
        pass
    assert runner.failures == 0, "".join(report)
