"""The book builds offline from the committed notebooks, with warnings as errors."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_book_builds_without_warnings(tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).with_name("jupyter-book")), "build", str(ROOT), "--path-output", str(tmp_path),
         "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    html = tmp_path / "_build" / "html"
    for page in ("book/intro.html", "notebooks/01_convolution_cost.html", "notebooks/02_build_mobilenet.html"):
        assert (html / page).exists(), page
    page = (html / "notebooks/01_convolution_cost.html").read_text()
    assert "colab.research.google.com" in page  # the launch button
    assert "<img" in page  # figures rendered from the committed outputs
