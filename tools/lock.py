"""The locked stack: the exact versions ``make setup`` installs, and the line the book prints.

    python tools/lock.py          # what `make lock` runs: refresh constraints/local.txt
    python tools/lock.py --line   # print the stack line from constraints/local.txt

``make lock`` creates a fresh virtual environment with this Python, lets pip
resolve ``requirements.txt`` there (the newest versions its ranges allow:
exactly what ``pip install`` would put in that environment, found with
``--dry-run --report`` instead of installing it), and writes every chosen
version (mnlib itself left out) to ``constraints/local.txt``, headed by the
Python version it ran on. ``make
setup`` then installs with ``-c constraints/local.txt``, so ``make book``,
``make test`` and the committed outputs (``tools/run_notebooks.py
--in-place`` refuses other versions) share one stack.

It also writes that stack, as one line, into ``_config.yml``
(``parse.myst_substitutions.stack``): the book's pages print it with
``{{ stack }}``. A test checks that the line there matches the lock file.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "constraints" / "local.txt"
CONFIG = ROOT / "_config.yml"

# The packages the stack line names, in this order, with their usual spelling.
SHOWN = {
    "tensorflow": "TensorFlow",
    "keras": "Keras",
    "numpy": "NumPy",
    "pandas": "pandas",
    "scipy": "SciPy",
    "matplotlib": "Matplotlib",
    "ai-edge-litert": "LiteRT (ai-edge-litert)",
    "jupyter-book": "Jupyter Book",
}
_PYTHON = re.compile(r"^# Python (\d+\.\d+)\.\d+", re.M)
_STACK = re.compile(r'^(?P<indent>\s+)stack: ".*"$', re.M)


def normalised(name: str) -> str:
    """A project name as pip compares them (``ml_dtypes`` and ``ml-dtypes`` are one)."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def locked_versions(lock: Path | None = None) -> dict[str, str]:
    """The exact versions of the lock file, by normalised project name."""
    versions = {}
    for line in (lock or LOCK).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            versions[normalised(name)] = version.strip()
    return versions


def locked_python(lock: Path | None = None) -> str:
    """The Python version (major.minor) the lock file was made with."""
    found = _PYTHON.search((lock or LOCK).read_text())
    if not found:
        raise ValueError(f"{lock or LOCK} has no '# Python X.Y.Z' line: run `make lock`")
    return found.group(1)


def differences_from_lock(lock: Path | None = None) -> list[str]:
    """Each locked package whose installed version differs, as "name: installed X, locked Y"."""
    from importlib import metadata

    found = []
    python = ".".join(platform.python_version_tuple()[:2])
    if python != locked_python(lock):
        found.append(f"python: running {python}, locked {locked_python(lock)}")
    for name, version in locked_versions(lock).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "none"
        if installed != version:
            found.append(f"{name}: installed {installed}, locked {version}")
    return found


def stack_line(lock: Path | None = None) -> str:
    """The stack of the lock file in one line: "Python 3.11, TensorFlow 2.21.0, Keras 3.15.1, ..."."""
    versions = locked_versions(lock)
    shown = [f"{label} {versions[name]}" for name, label in SHOWN.items() if name in versions]
    return ", ".join([f"Python {locked_python(lock)}", *shown])


def resolve(python: str, requirements: Path) -> str:
    """The lock file for ``requirements``: the exact versions pip installs in a fresh environment of ``python``.

    pip resolves in a new, empty virtual environment (``--dry-run --report``: the same choice as an
    install, without downloading and unpacking a gigabyte of wheels); mnlib itself is left out.
    """
    with tempfile.TemporaryDirectory(prefix="lock-") as folder:
        venv, report = Path(folder) / "venv", Path(folder) / "report.json"
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        interpreter = str(venv / "bin" / "python")
        subprocess.run([interpreter, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run(
            [interpreter, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed"]
            + ["--report", str(report), "-r", str(requirements)],
            check=True,
            cwd=requirements.parent,
        )
        chosen = json.loads(report.read_text())["install"]
        version = subprocess.run(
            [interpreter, "-c", "import platform; print(platform.python_version())"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    pins = sorted(
        (item["metadata"]["name"], item["metadata"]["version"])
        for item in chosen
        if normalised(item["metadata"]["name"]) not in ("mnlib", "pip", "setuptools", "wheel")
    )
    header = [
        "# The exact versions `make setup` installs (pip's -c): `make book`, `make test` and the",
        "# committed notebooks' outputs use them. Written by `make lock` (tools/lock.py) from the",
        "# ranges in requirements.txt, as pip resolves them in a fresh environment; do not edit by hand.",
        f"# Python {version}, {datetime.date.today().isoformat()}",
    ]
    return "\n".join(header + [f"{name}=={pin}" for name, pin in sorted(pins, key=lambda p: normalised(p[0]))]) + "\n"


def write_stack_line(config: Path | None = None, lock: Path | None = None) -> str:
    """Write :func:`stack_line` into ``_config.yml``'s ``stack`` substitution; return the line."""
    config = config or CONFIG
    line = stack_line(lock)
    text = config.read_text()
    if not _STACK.search(text):
        raise ValueError(f'{config} has no `stack: "..."` line under parse.myst_substitutions')
    config.write_text(_STACK.sub(lambda m: f'{m.group("indent")}stack: "{line}"', text, count=1))
    return line


def configured_stack_line(config: Path | None = None) -> str:
    """The ``stack`` substitution written in ``_config.yml``."""
    found = _STACK.search((config or CONFIG).read_text())
    return found.group(0).split('stack: "', 1)[1][:-1] if found else ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--line", action="store_true", help="print the stack line of the lock file and stop")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to lock for (default: this one)")
    args = parser.parse_args(argv)
    if args.line:
        print(stack_line())
        return 0
    if shutil.which(args.python) is None and not Path(args.python).exists():
        parser.error(f"no such interpreter: {args.python}")
    LOCK.write_text(resolve(args.python, ROOT / "requirements.txt"))
    print(f"{LOCK.relative_to(ROOT)}: {len(locked_versions())} packages")
    print(f"_config.yml stack line: {write_stack_line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
