"""Every ```python block of README.md and docs/*.md runs as written.

The blocks of one page run in order in one fresh interpreter (a page may build on its earlier
blocks); illustrative fragments are marked ```text and are not run. A page that imports a framework
is marked for it, so it is skipped where that framework is not installed.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest


#: the source tree (the tests may run against an installed wheel, which has no docs)
ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
FRAMEWORKS = {"torch": r"\bimport torch\b", "tf": r"\bimport tensorflow\b",
              "jax": r"\bimport jax\b|\bfrom jax\b|\bimport optax\b",
              "keras": r"\bimport keras\b", "draw": r"draw_mpl|\.plot\(|matplotlib"}

#: runs in the subprocess: every block in one namespace, a failure names the block and its line
RUNNER = """
import json, sys, traceback
blocks = json.load(open(sys.argv[1]))
env = {"__name__": "__main__"}
for i, (line, src) in enumerate(blocks):
    try:
        exec(compile(src, f"block {i + 1} (line {line})", "exec"), env)
    except BaseException:
        traceback.print_exc()
        sys.exit(f"block {i + 1} (page line {line}) failed")
"""


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number of the block's first code line, source) for each ```python block."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in FENCE.finditer(text)]


def _param(page: Path):
    text = page.read_text()
    marks = [getattr(pytest.mark, name) for name, pattern in FRAMEWORKS.items()
             if re.search(pattern, text)]
    return pytest.param(page, marks=marks, id=page.relative_to(ROOT).as_posix())


def test_fence_parser_finds_blocks_and_their_lines():
    text = "intro\n```python\nx = 1\n```\n```text\nnot run\n```\n```python\ny = x + 1\n```\n"
    assert python_blocks(text) == [(3, "x = 1\n"), (9, "y = x + 1\n")]


@pytest.mark.parametrize("page", [_param(p) for p in PAGES if python_blocks(p.read_text())])
def test_page_blocks_run_in_order(page, tmp_path):
    blocks = python_blocks(page.read_text())
    spec = tmp_path / "blocks.json"
    spec.write_text(json.dumps(blocks))
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", RUNNER, str(spec)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"{page.name}: {out.stderr[-4000:]}"
