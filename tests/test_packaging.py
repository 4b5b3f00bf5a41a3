"""mnlib as pip installs it from the repository (the notebooks' Colab cell): every subpackage included."""

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_every_module_of_mnlib(tmp_path):
    # Built from a clean copy: a stale build/ or mnlib.egg-info/ here could fill in what the configuration misses.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "mnlib", source / "mnlib", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "--wheel-dir", str(tmp_path), str(source)], check=True, capture_output=True)  # fmt: skip
    (wheel,) = tmp_path.glob("mnlib-*.whl")
    assert wheel.name.startswith(f"mnlib-{_version()}-"), f"{wheel.name}: not the version of mnlib.__version__"
    packed = {name for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".py")}
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "mnlib").rglob("*.py")}
    assert modules - packed == set(), f"missing from the wheel: {sorted(modules - packed)}"


def _version() -> str:
    """mnlib.__version__ as written in its source: the one place for the version (pyproject.toml reads it)."""
    for node in ast.parse((ROOT / "mnlib" / "__init__.py").read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("mnlib/__init__.py defines no __version__")
