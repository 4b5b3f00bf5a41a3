"""Grade a class: re-execute every submitted notebook, judge its answers, write grades and feedback.

    python tools/grade.py submissions/ --out grades.csv      # what `make grade SUBMISSIONS=submissions` runs
    python tools/grade.py submissions/ --out grades.csv --timeout 1800 --jobs 2

Every file under the folder (subfolders included) gets one row of the CSV.
Each notebook (``.ipynb``, or a ``py:percent`` twin) is re-executed headless
with papermill, with the smoke profile (``PROFILE = "smoke"``), in a fresh
kernel, in a temporary folder of its own that holds:

* a throwaway copy of ``mnlib`` (first on the kernel's ``PYTHONPATH``), so a
  notebook that edits mnlib's files edits only its copy;
* its own working, results and data folders (``MNLIB_RESULTS_DIR``,
  ``MNLIB_DATA_DIR``; ``--results-from`` copies records in first, so that
  training chapters load instead of retraining) and IPython folder;
* the log of its answers: ``mnlib.exercises.check`` writes each answer there
  as plain data (``MNLIB_GRADE_LOG``, see :mod:`mnlib.exercises.recorded`),
  a function by what it returned on the checker's hidden cases.

The notebook is stopped after ``--timeout`` seconds (600 by default). Then this
process judges the logged answers with its own copy of the checker (the
repository's ``mnlib``): what the notebook printed, and the verdicts of its
own checker, are not used. For each exercise the last answer checked counts;
the answers logged before a failure or a timeout keep their credit. A call of
``exercises.solution(id)`` flags the exercise (``01.2:solution``).

Next to the CSV, in ``<name>_feedback/`` (``grades_feedback/`` for
``grades.csv``): one Markdown page per submission (each exercise's verdict in
the checker's words, never the reference answer), and ``summary.md`` and
``summary.png``, the share of the class that answered each exercise
correctly, hardest first.

This is not a sandbox: a notebook runs with the grader's user's rights and
can read the reference answers that ship with mnlib.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the grader's own mnlib: the repository's, whatever is installed

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

from mnlib import exercises  # noqa: E402
from mnlib.exercises import recorded  # noqa: E402

#: An exercise id in a check or solution call of a notebook's source, e.g. exercises.check("01.2", ...).
_CALLED_ID = re.compile(r"""(?:check|solution)\(\s*["'](\d\d)\.\d+["']""")
_CHAPTER_PREFIX = re.compile(r"^(\d\d)_")
_OUR_TAGS = {"injected-parameters", "papermill-error-cell-tag"}


@dataclass
class Run:
    """One submission re-executed: what it is, which chapters it answers, what its run logged and how it ended."""

    name: str
    chapters: set[int] = field(default_factory=set)
    entries: list[dict] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    checks_in_source: bool = False


@dataclass
class Verdict:
    """The grader's verdict on one exercise of one submission."""

    id: str
    correct: bool
    message: str
    solution_called: bool = False
    answered: bool = True


def read_notebook(path: Path) -> nbformat.NotebookNode | None:
    """The submission as a notebook (a ``.py`` twin converted by jupytext), or None when it is not one."""
    try:
        if path.suffix == ".py":
            text = path.read_text(encoding="utf-8")
            if "# %%" not in text:
                return None
            import jupytext

            return jupytext.reads(text, fmt="py:percent")
        if path.suffix != ".ipynb":
            return None
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        return nb if nb.cells else None
    except Exception:
        return None


def chapters_of(path: Path, nb: nbformat.NotebookNode | None) -> set[int]:
    """The chapters a submission answers: its file name's ``NN_`` and the ids its code checks."""
    found = set()
    prefix = _CHAPTER_PREFIX.match(path.name)
    if prefix:
        found.add(int(prefix.group(1)))
    for cell in nb.cells if nb else []:
        if cell.cell_type == "code":
            found.update(int(c) for c in _CALLED_ID.findall(cell.source))
    return found & set(exercises.chapters())


def _workspace(folder: Path, results_from: Path | None) -> dict[str, str]:
    """Lay out a submission's temporary folder; return the kernel's environment."""
    shutil.copytree(ROOT / "mnlib", folder / "lib" / "mnlib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("work", "data", "ipython"):
        (folder / name).mkdir()
    if results_from:
        shutil.copytree(results_from, folder / "results")
    else:
        (folder / "results").mkdir()
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(folder / "lib"), *filter(None, [env.get("PYTHONPATH")])]),
        MNLIB_RESULTS_DIR=str(folder / "results"),
        MNLIB_DATA_DIR=str(folder / "data"),
        IPYTHONDIR=str(folder / "ipython"),
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    env[recorded.LOG_VARIABLE] = str(folder / "answers.jsonl")
    return env


def _kill_tree(process: subprocess.Popen) -> None:
    """Stop papermill and every process under it (the kernel runs in a session of its own)."""
    import psutil

    try:
        parent = psutil.Process(process.pid)
        family = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        family = []
    for member in family:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)
    process.wait()


def _failure(executed: Path, stderr: str) -> str:
    """``failed in cell K: <the exception's last line>``, K counting the submission's cells from 1."""
    try:
        nb = nbformat.read(executed, as_version=4)
    except Exception:
        nb = None
    cells = [c for c in nb.cells if not _OUR_TAGS & set(c.metadata.get("tags", []))] if nb else []
    for number, cell in enumerate(cells, start=1):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                last = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip().rstrip(":")
                return f"failed in cell {number}: {last}"
    lines = [line for line in stderr.splitlines() if line.strip()]
    return f"failed: {lines[-1].strip() if lines else 'papermill stopped without a message'}"


def execute(nb: nbformat.NotebookNode, folder: Path, env: dict, timeout: float) -> str:
    """Run the notebook headless in ``folder/work``; return "" or what went wrong."""
    source, executed = folder / "submission.ipynb", folder / "executed.ipynb"
    nbformat.write(nb, source)
    command = [
        sys.executable,
        "-m",
        "papermill",
        str(source),
        str(executed),
        "--cwd",
        str(folder / "work"),
        "--kernel",
        "python3",
        "-p",
        "PROFILE",
        "smoke",
        "--no-progress-bar",
        "--no-log-output",
    ]
    with open(folder / "papermill.log", "w+") as log:
        process = subprocess.Popen(command, env=env, cwd=folder / "work", stdout=log, stderr=subprocess.STDOUT)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_tree(process)
            return f"timed out after {timeout:g} s"
        log.seek(0)
        output = log.read()
    return "" if code == 0 else _failure(executed, output)


def run_submission(path: Path, name: str, timeout: float, results_from: Path | None = None) -> Run:
    """Re-execute one submission in a temporary folder of its own and collect what its checks logged."""
    start = time.perf_counter()
    nb = read_notebook(path)
    run = Run(name, chapters_of(path, nb))
    if nb is None:
        run.error = "not a notebook"
        return run
    run.checks_in_source = any(c.cell_type == "code" and _CALLED_ID.search(c.source) for c in nb.cells)
    folder = Path(tempfile.mkdtemp(prefix="mnlib-grade-"))
    try:
        env = _workspace(folder, results_from)
        run.error = execute(nb, folder, env, timeout)
        run.entries = recorded.read(folder / "answers.jsonl")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    run.chapters |= {int(e["id"][:2]) for e in run.entries if e["id"] in exercises.ids()}
    run.seconds = time.perf_counter() - start
    return run


def judge(run: Run) -> dict[str, Verdict]:
    """The grader's verdict on every exercise of the run's chapters, from the answers its run logged."""
    last = {e["id"]: e for e in run.entries if e.get("event") == "check"}
    peeked = {e["id"] for e in run.entries if e.get("event") == "solution"}
    verdicts = {}
    for exercise_id in [i for c in sorted(run.chapters) for i in exercises.ids(c)]:
        entry = last.get(exercise_id)
        if entry is None:
            stopped = " before the run stopped" if run.error else ""
            correct, message = False, f"{exercise_id}: not answered (no check of it ran{stopped})."
        else:
            item = exercises.exercise(exercise_id)
            try:
                item.use_context(recorded.decode(entry.get("context")))
                record = entry.get("record")
                correct, message = item.judge_record(record if isinstance(record, dict) else {})
            except Exception as error:  # a malformed log line is a wrong answer, not a crash
                correct, message = False, f"{exercise_id}: not judged ({type(error).__name__}: {error})."
        verdicts[exercise_id] = Verdict(exercise_id, bool(correct), message, exercise_id in peeked, entry is not None)
    return verdicts


def flags_of(run: Run, verdicts: dict[str, Verdict]) -> list[str]:
    """``01.2:solution`` for each exercise whose reference the run asked for; ``no-check-recorded`` when the
    notebook calls the checker but no check reached the log (the checker replaced, say)."""
    flags = [f"{v.id}:solution" for v in verdicts.values() if v.solution_called]
    if run.checks_in_source and not run.error and not any(e.get("event") == "check" for e in run.entries):
        flags.append("no-check-recorded")
    return flags


def write_csv(path: Path, runs: list[Run], verdicts: list[dict[str, Verdict]], ids: list[str]) -> None:
    """``grades.csv``: submission, one column per exercise (1, 0, or empty: not in its chapters), score, of,
    flags, error."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", *ids, "score", "of", "flags", "error"])
        for run, judged in zip(runs, verdicts):
            marks = [("1" if judged[i].correct else "0") if i in judged else "" for i in ids]
            score = sum(v.correct for v in judged.values())
            writer.writerow([run.name, *marks, score, len(judged), " ".join(flags_of(run, judged)), run.error])


def feedback_page(run: Run, judged: dict[str, Verdict]) -> str:
    """One submission's feedback, in Markdown: its score, what went wrong, each exercise in the checker's words."""
    score = sum(v.correct for v in judged.values())
    lines = [f"# Feedback: {run.name}", "", f"**Score: {score} of {len(judged)}** exercises correct.", ""]
    if run.error:
        counted = " (cells counted from 1, Markdown included)" if "in cell" in run.error else ""
        lines += [f"**The notebook did not run to the end**: {run.error}{counted}.", ""]
        lines += ["Answers checked before that point are counted; the others are not answered.", ""]
    lines += [
        "The notebook was executed again from the top, in a fresh kernel, with the smoke profile; "
        "each answer below was judged from that run.",
        "",
    ]
    for verdict in judged.values():
        topic = exercises.exercise(verdict.id).topic
        mark = "correct" if verdict.correct else "not yet" if verdict.answered else "not answered"
        lines += [f"## {verdict.id} {topic}: {mark}", "", f"> {verdict.message}", ""]
        if verdict.solution_called:
            lines += [f'The notebook called `exercises.solution("{verdict.id}")`: this answer is flagged.', ""]
    return "\n".join(lines)


def summary(runs: list[Run], verdicts: list[dict[str, Verdict]], ids: list[str]) -> list[dict]:
    """Per exercise: how many submissions have it, how many answered it correctly, the share, the solution
    calls; hardest (lowest share) first."""
    rows = []
    for exercise_id in ids:
        judged = [v[exercise_id] for v in verdicts if exercise_id in v]
        correct = sum(v.correct for v in judged)
        rows.append(
            {
                "id": exercise_id,
                "topic": exercises.exercise(exercise_id).topic,
                "correct": correct,
                "of": len(judged),
                "share": correct / len(judged) if judged else 0.0,
                "solution_calls": sum(v.solution_called for v in judged),
            }
        )
    return sorted(rows, key=lambda r: (r["share"], ids.index(r["id"])))


def summary_page(rows: list[dict], runs: list[Run]) -> str:
    """The class summary in Markdown: a table of the share correct per exercise, hardest first, and the chart."""
    failed = [r for r in runs if r.error]
    lines = [
        "# Class summary",
        "",
        f"{len(runs)} submissions; {len(failed)} did not run to the end (see the `error` column of the CSV).",
        "",
        "Exercises, hardest first:",
        "",
    ]
    lines += ["| exercise | topic | correct | of | share correct | solution() calls |", "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['id']} | {row['topic']} | {row['correct']} | {row['of']} | {row['share']:.0%} "
            f"| {row['solution_calls']} |"
        )
    lines += ["", "![Share of the class correct per exercise](summary.png)", ""]
    return "\n".join(lines)


def summary_chart(rows: list[dict], path: Path) -> None:
    """A bar per exercise, the share of the class that answered it correctly; hardest at the top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.4 * max(len(rows), 1)))
    ax.barh(range(len(rows)), [100 * r["share"] for r in rows], color="tab:blue")
    for y, row in enumerate(rows):
        ax.annotate(
            f"{row['correct']} of {row['of']}",
            (100 * row["share"], y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ax.set_yticks(range(len(rows)), [f"{r['id']} {r['topic'][:40]}" for r in rows], fontsize=9)
    ax.invert_yaxis()
    ax.set(xlim=(0, 112), xlabel="submissions answering correctly (%)")
    hardest = f"hardest: {rows[0]['id']}, {rows[0]['share']:.0%} correct" if rows else "no exercises"
    ax.set_title(f"Exercises by share correct ({hardest})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def feedback_name(name: str) -> str:
    """A submission's feedback file name: its path with ``/`` as ``__`` and ``.md`` for its suffix."""
    return re.sub(r"[^\w.-]", "_", name.replace("/", "__")).rsplit(".", 1)[0] + ".md"


def grade(folder: Path, out: Path, timeout: float = 600, jobs: int = 1, results_from: Path | None = None):
    """Grade every file under ``folder``; write ``out`` (CSV) and its feedback folder; return the runs."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    names = [p.relative_to(folder).as_posix() for p in files]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = list(pool.map(lambda pair: run_submission(*pair, timeout, results_from), zip(files, names)))
    present = sorted(set().union(*(r.chapters for r in runs))) if runs else []
    for run in runs:
        run.chapters = run.chapters or set(present)  # a file of no known chapter is graded on all present
    verdicts = [judge(run) for run in runs]
    ids = [i for c in present for i in exercises.ids(c)]
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(out, runs, verdicts, ids)
    feedback = out.parent / f"{out.stem}_feedback"
    feedback.mkdir(exist_ok=True)
    for run, judged in zip(runs, verdicts):
        (feedback / feedback_name(run.name)).write_text(feedback_page(run, judged), encoding="utf-8")
    rows = summary(runs, verdicts, ids)
    (feedback / "summary.md").write_text(summary_page(rows, runs), encoding="utf-8")
    summary_chart(rows, feedback / "summary.png")
    return runs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks (subfolders included)")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"), help="the CSV to write (grades.csv)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per notebook (600)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once (1)")
    parser.add_argument("--results-from", type=Path, help="a results folder copied into each run's own first")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder of submissions")
    if args.timeout <= 0 or args.jobs < 1:
        parser.error("--timeout must be positive and --jobs at least 1")
    start = time.perf_counter()
    runs = grade(args.submissions, args.out, args.timeout, args.jobs, args.results_from)
    for run in runs:
        print(f"{run.name}: {run.seconds:.0f} s{': ' + run.error if run.error else ''}")
    print(
        f"graded {len(runs)} files in {time.perf_counter() - start:.0f} s: {args.out}, "
        f"{args.out.parent / (args.out.stem + '_feedback')}/"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
