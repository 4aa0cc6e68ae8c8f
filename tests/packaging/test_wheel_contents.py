"""The built wheel contains every subpackage of the source tree.

The repository root is the package ``kettle`` and pyproject.toml lists its packages explicitly; a new
folder with an ``__init__.py`` that is not listed would work in the editable install but silently be
missing from the wheel. This builds the wheel (no network: the installed setuptools) and compares.
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import kettle

#: the source tree (the tests may run against an installed wheel)
ROOT = Path(__file__).resolve().parents[2]
#: folders of the repository that are not part of the package
NOT_PACKAGED = {"tests", "docs", "examples", "benchmarks", "build", "dist", "site", ".venv"}

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("setuptools") is None or not (ROOT / "pyproject.toml").exists(),
    reason="needs the source tree and setuptools")


def source_packages() -> set[str]:
    """Dotted names of every folder of the package that has an __init__.py."""
    found = {"kettle"}
    for init in ROOT.rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT)
        # "kettle-<version>/": the staging folder of an sdist another test may be building
        if rel.parts and (rel.parts[0] in NOT_PACKAGED or rel.parts[0].startswith((".", "kettle-"))
                          or any(p.endswith(".egg-info") or p == "__pycache__" for p in rel.parts)):
            continue
        found.add(".".join(("kettle", *rel.parts)))
    return found


def private_copy(dest: Path) -> Path:
    """The source tree copied to ``dest``: setuptools writes ``build/`` and ``*.egg-info`` into the
    tree it builds, so builds running at once (xdist workers, ``make wheel``) must not share one."""
    anywhere = shutil.ignore_patterns("__pycache__", "*.egg-info", ".*_cache")

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = set(anywhere(folder, names))
        if Path(folder) == ROOT:  # build outputs and sdist staging folders ("kettle-<version>")
            skipped |= {n for n in names if n in {".git", ".venv", "build", "dist", "site"}
                        or n.startswith("kettle-")}
        return skipped

    shutil.copytree(ROOT, dest / "src", ignore=ignore, symlinks=True)
    return dest / "src"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    src = private_copy(tmp_path_factory.mktemp("build"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(src)], capture_output=True, text=True, timeout=600, cwd=src)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path,) = out.glob("kettle-*.whl")
    return zipfile.ZipFile(path)


def test_every_source_package_is_in_the_wheel(wheel):
    names = wheel.namelist()
    packaged = {n.rsplit("/", 1)[0].replace("/", ".") for n in names if n.endswith("/__init__.py")}
    assert source_packages() - packaged == set(), (
        "add these to [tool.setuptools] packages in pyproject.toml")


def test_the_wheel_carries_the_typing_marker_and_the_license(wheel):
    names = wheel.namelist()
    assert "kettle/py.typed" in names
    assert any(n.endswith("licenses/LICENSE") for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = wheel.read(metadata).decode()
    assert f"Version: {kettle.__version__}" in text
    assert "Provides-Extra: keras" in text and "Provides-Extra: draw" in text


def test_the_source_tree_finder_sees_the_subpackages():
    pkgs = source_packages()
    assert {"kettle.core", "kettle.core.ops", "kettle.devices"} <= pkgs
    assert not any(p.startswith("kettle.tests") for p in pkgs)


def test_the_sdist_carries_tests_docs_and_examples(tmp_path):
    import tarfile

    script = ("import sys; from setuptools import build_meta; "
              "print(build_meta.build_sdist(sys.argv[1]))")
    src = private_copy(tmp_path)
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=src,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    name = proc.stdout.strip().splitlines()[-1]
    with tarfile.open(tmp_path / name) as sdist:
        members = {m.split("/", 1)[1] for m in sdist.getnames() if "/" in m}
    for needed in ["LICENSE", "README.md", "mkdocs.yml", "tests/conftest.py",
                   "tests/docs/test_code_blocks.py", "docs/index.md",
                   "examples/kettle-plugin-example/pyproject.toml"]:
        assert needed in members, needed
    assert not any("__pycache__" in m for m in members)
