"""The book builds offline from the committed notebooks, with warnings as errors,
and every page of its table of contents renders in a browser as a reader sees it,
without network (formulas typeset by the MathJax shipped in the book's _static);
the student edition keeps every exercise and shows no solution.

The browser test drives Chromium headless through Playwright. Without Chromium it
is skipped, unless the environment variable CI is set: then it fails.
"""

import html as html_module
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mnlib import exercises

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from run_notebooks import toc_files  # noqa: E402  (the book's pages, as make book runs them)

# Flags that keep a headless Chromium quiet and offline.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def page_title(file: str) -> str:
    """The first level-1 heading of a page's source (.md or .ipynb)."""
    if (ROOT / f"{file}.ipynb").exists():
        lines = [
            line
            for cell in nbformat.read(ROOT / f"{file}.ipynb", as_version=4).cells
            if cell.cell_type == "markdown"
            for line in cell.source.splitlines()
        ]
    else:
        lines = (ROOT / f"{file}.md").read_text().splitlines()
    return next(line[2:].strip() for line in lines if line.startswith("# "))


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    """The book built once, from the committed sources, into a temporary folder."""
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("jupyter-book")),
            "build",
            str(ROOT),
            "--path-output",
            str(out),
            "-W",
            "-n",
            "--keep-going",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    return out / "_build" / "html"


def test_book_builds_without_warnings(html):
    for file in toc_files():
        assert (html / f"{file}.html").exists(), file
    page = (html / "notebooks/01_convolution_cost.html").read_text()
    assert "colab.research.google.com" in page  # the launch button
    assert "<img" in page  # figures rendered from the committed outputs


def test_colab_set_up_cells_are_not_shown(html):
    """A first code cell tagged remove-cell is in the notebook but not on its page."""
    for file in toc_files():
        if not (ROOT / f"{file}.ipynb").exists():
            continue
        first = next(c for c in nbformat.read(ROOT / f"{file}.ipynb", as_version=4).cells if c.cell_type == "code")
        if "remove-cell" in first.metadata.get("tags", []):
            assert '"google.colab" in sys.modules' not in (html / f"{file}.html").read_text(), file


def _chromium() -> str:
    """Chromium's executable; skip (fail where CI is set) when there is none."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    message = "Chromium is not installed (on Debian: apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must install it to check the rendered pages.")
    pytest.skip(f"{message}: the rendered pages are not checked.")


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the Python package playwright is missing: pip install -r requirements.txt")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


# Whatever shows that a cell failed: an error output, or a traceback printed anyway.
_FAILURES = """() => {
    const found = [];
    for (const el of document.querySelectorAll(
            ".output.traceback, .output.error, .cell_output [class*='Color-Red'], .cell_output [class*='ansi-red']")) {
        found.push(el.className + ": " + el.textContent.slice(0, 200));
    }
    const text = document.body.innerText;
    for (const sign of ["Traceback (most recent call last)", "\\u001b[", "[0;31m"]) {
        if (text.includes(sign)) found.push("page text contains " + JSON.stringify(sign));
    }
    return found;
}"""


def _offline(page) -> list[str]:
    """Let ``page`` load files only, as a book copied to a laptop without network; return what it asked elsewhere."""
    blocked = []

    def route(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    return blocked


# The formulas MathJax left as TeX (every Sphinx math element holds an mjx-container once typeset),
# and the text of the prose, where a raw \( or \[ would show.
_MATH = """() => ({
    count: document.querySelectorAll("main .math").length,
    raw: Array.from(document.querySelectorAll("main .math"))
        .filter(el => !el.querySelector("mjx-container")).map(el => el.textContent.slice(0, 80)),
    prose: Array.from(document.querySelectorAll("main :is(p, li, td, th, dd, h1, h2, h3)"))
        .map(el => el.innerText).join("\\n"),
})"""


def _typeset(page) -> dict:
    """Wait until MathJax has typeset the page (if it has math); return _MATH's findings."""
    found = page.evaluate(_MATH)
    if found["count"]:
        try:
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
        except Exception:
            pytest.fail("MathJax did not start offline: is it shipped with the book (_static/mathjax)?")
        page.evaluate("() => MathJax.startup.promise")
        found = page.evaluate(_MATH)
    return found


@pytest.mark.parametrize("file", toc_files())
def test_page_renders_offline_with_its_title_figures_and_math_and_no_traceback(html, browser, file):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    blocked = _offline(page)
    try:
        page.goto((html / f"{file}.html").as_uri(), wait_until="load")
        title = page_title(file)
        # The book's typographer curls apostrophes: compare with straight ones.
        headings = [h.replace("\u2019", "'") for h in page.locator("main h1").all_inner_texts()]
        assert any(title in heading for heading in headings), f"{file}: title {title!r} not among {headings}"
        page.wait_for_function("Array.from(document.images).every(img => img.complete)", timeout=30_000)
        broken = page.evaluate("Array.from(document.images).filter(img => !(img.naturalWidth > 0)).map(img => img.src)")
        assert not broken, f"{file}: figures that do not load: {broken}"
        failures = page.evaluate(_FAILURES)
        assert not failures, f"{file}: the page shows a failure: {failures}"
        math = _typeset(page)
        assert not math["raw"], f"{file}: formulas left as TeX offline: {math['raw'][:3]}"
        assert "\\(" not in math["prose"] and "\\[" not in math["prose"], f"{file}: raw TeX in the text"
        assert not blocked, f"{file}: the page asks the network for {blocked[:3]}"
    finally:
        page.close()


def test_a_chapter_with_formulas_typesets_them_offline(html, browser):
    """Chapter 1 is built on formulas: MathJax, loaded from the book's own _static, typesets them."""
    page = browser.new_page()
    blocked = _offline(page)
    try:
        page.goto((html / "notebooks/01_convolution_cost.html").as_uri(), wait_until="load")
        math = _typeset(page)
        assert math["count"] >= 10 and not math["raw"], math["raw"][:3]
        assert page.locator("main mjx-container").count() >= math["count"]
        source = page.evaluate("Array.from(document.scripts).map(s => s.src).find(src => src.includes('mathjax'))")
        assert source.startswith("file:") and "/_static/mathjax/" in source, source
        assert not blocked, blocked[:3]
    finally:
        page.close()


# The student edition (make student-book): exercises kept, every solution removed.


def _page_text(path: Path) -> str:
    """A built page's text, tags removed (code is split into highlighted spans in the HTML)."""
    return html_module.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def _solution_lines(notebook: Path) -> list[str]:
    """Distinctive lines of a notebook's solutions: code of gated solution cells, text of {solution} blocks."""
    lines, elsewhere, inside = [], set(), False
    for cell in nbformat.read(notebook, as_version=4).cells:
        if "{solution-start}" in cell.source:
            inside = True
        elif "{solution-end}" in cell.source:
            inside = False
        elif inside and cell.cell_type == "code":
            lines += [line.strip() for line in cell.source.splitlines()]
            continue
        if cell.cell_type == "markdown":
            for block in re.findall(r"^```\{solution\}.*?\n(.*?)^```", cell.source, re.M | re.S):
                # as rendered: inline code without its backticks; lines with math or emphasis left out
                lines += [
                    line.strip().replace("`", "")
                    for line in block.splitlines()
                    if not line.startswith(":") and not any(mark in line for mark in "$*_[")
                ]
        elif cell.cell_type == "code":
            elsewhere |= {line.strip() for line in cell.source.splitlines()}
    # Lines that the chapter also has outside its solutions (its own code) are not solutions.
    return [line for line in lines if len(line) > 25 and not line.startswith("#") and line not in elsewhere]


@pytest.fixture(scope="module")
def student_html(tmp_path_factory) -> Path:
    """The student edition, built once by tools/student_book.py into a temporary folder."""
    out = tmp_path_factory.mktemp("student")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "student_book.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    return out / "html"


def _notebook_pages():
    return [file for file in toc_files() if (ROOT / f"{file}.ipynb").exists()]


@pytest.mark.parametrize("file", _notebook_pages())
def test_student_edition_keeps_the_exercises_and_removes_every_solution(html, student_html, file):
    solutions = _solution_lines(ROOT / f"{file}.ipynb")
    student, full = _page_text(student_html / f"{file}.html"), _page_text(html / f"{file}.html")
    leaked = [line for line in solutions if line in student]
    assert not leaked, f"{file}: the student edition shows solution lines: {leaked[:3]}"
    assert all(line in full for line in solutions), f"{file}: the default book should show its solutions"
    assert not re.search(r'class="[^"]*\bsolution\b', (student_html / f"{file}.html").read_text()), (
        f"{file}: a solution block is on the student page"
    )
    source = (student_html / "_sources" / f"{file}.ipynb").read_text()
    assert "{solution-start}" not in source and "{solution}" not in source, f"{file}: the download holds solutions"
    assert not re.search(r"\d\d\.\d+: correct\.", student), f"{file}: a solution's check output is on the student page"
    chapter = int(Path(file).name[:2])
    for exercise_id in exercises.ids(chapter):
        assert exercise_id in student and f'exercises.check("{exercise_id}", answer)' in student, (
            f"{file}: exercise {exercise_id} is missing from the student edition"
        )
    assert "answer = None" in student or not exercises.ids(chapter)
