"""Run one notebook headless over a grid of parameters with papermill.

Each point of the grid is one papermill run; every executed notebook is kept,
and every training run inside it writes its own result record into the shared
RESULTS_DIR, so the study tables (which read all records) then show the whole
grid.

    python tools/sweep.py notebooks/03_width_multiplier.ipynb \\
        --grid 'WIDTH_MULTIPLIERS=[[1.0], [0.75], [0.5], [0.25]]' \\
        --grid 'RESOLUTION=[64, 52, 44, 36]' \\
        -p PROFILE smoke --out results/sweep

``--grid NAME=JSON_LIST`` gives the values one parameter takes (repeat it for
a grid: every combination runs); ``-p NAME VALUE`` fixes a parameter for all
runs (the value is read as YAML: numbers, lists and strings work). The
executed notebooks go to ``OUT/notebooks/``; RESULTS_DIR defaults to
``OUT/records`` unless given with ``-p``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import time
from pathlib import Path

import papermill
import yaml


def _grid_option(text: str) -> tuple[str, list]:
    name, sep, values = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name.strip()):
        raise argparse.ArgumentTypeError(f"expected NAME=JSON_LIST, got {text!r}")
    try:
        values = json.loads(values)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"{name}: the values must be a JSON list ({error})") from None
    if not isinstance(values, list) or not values:
        raise argparse.ArgumentTypeError(f"{name}: the values must be a non-empty JSON list")
    return name.strip(), values


def _slug(parameters: dict) -> str:
    text = "__".join(f"{k}-{json.dumps(v)}" for k, v in parameters.items())
    return re.sub(r"[^A-Za-z0-9_.-]+", "", text.replace(", ", "_").replace(",", "_")) or "defaults"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--grid", type=_grid_option, action="append", default=[], metavar="NAME=JSON_LIST")
    parser.add_argument(
        "-p",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter fixed for every run (value read as YAML)",
    )
    parser.add_argument("--out", type=Path, default=Path("results/sweep"), help="default: results/sweep")
    args = parser.parse_args(argv)

    notebook = args.notebook.resolve()
    if not notebook.exists():
        parser.error(f"no such notebook: {args.notebook}")
    declared = papermill.inspect_notebook(str(notebook))
    fixed = {name: yaml.safe_load(value) for name, value in args.p}
    names = [name for name, _ in args.grid]
    for name in [*names, *fixed]:
        if name not in declared:
            parser.error(f"{notebook.name} has no parameter {name!r}; it has: {', '.join(declared)}")
    out = args.out.resolve()
    if "RESULTS_DIR" in declared:
        fixed.setdefault("RESULTS_DIR", str(out / "records"))

    points = [dict(zip(names, values)) for values in itertools.product(*(v for _, v in args.grid))]
    print(f"{notebook.name}: {len(points)} run(s), records in {fixed.get('RESULTS_DIR', '(none)')}", flush=True)
    failed = []
    for i, point in enumerate(points, start=1):
        output = out / "notebooks" / f"{notebook.stem}__{_slug(point)}.ipynb"
        output.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        print(f"[{i}/{len(points)}] {point or 'defaults'} ...", flush=True)
        try:
            papermill.execute_notebook(
                str(notebook),
                str(output),
                parameters={**fixed, **point},
                cwd=str(notebook.parent),
                kernel_name="python3",
                progress_bar=False,
            )
        except papermill.PapermillExecutionError as error:
            failed.append((point, error.ename, error.evalue))
            print(f"[{i}/{len(points)}] FAILED: {error.ename}: {error.evalue} (see {output})", flush=True)
            continue
        print(f"[{i}/{len(points)}] done in {time.perf_counter() - start:.0f} s -> {output}", flush=True)
    if failed:
        print(f"{len(failed)} of {len(points)} run(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
