"""JupyterLab's server opens the notebooks and their .py twins as the same notebook, and keeps them paired.

A Jupyter server is started headless (no browser) on a free port with a
token, over a copy of one chapter and the course's jupytext.toml; its REST
API is asked for the .ipynb and for the .py twin, which must both come back
as notebooks with the same cells; then a cell is added through the API to
the .py, and the .ipynb on disk must have it too (jupytext's pairing works
for what a student saves in JupyterLab).
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A headless Jupyter server over a copy of one chapter; yields (base URL, token, root folder)."""
    executable = Path(sys.executable).with_name("jupyter-server")
    if not executable.exists():
        pytest.fail("jupyter-server is missing: pip install -r requirements.txt (it comes with jupyterlab)")
    root, config = tmp_path_factory.mktemp("course"), tmp_path_factory.mktemp("jupyter-config")
    (root / "notebooks").mkdir()
    shutil.copy2(ROOT / "jupytext.toml", root / "jupytext.toml")
    for twin in (NOTEBOOK, NOTEBOOK.with_suffix(".py")):
        shutil.copy2(twin, root / "notebooks" / twin.name)
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(config / "runtime")}
    process = subprocess.Popen(
        [
            str(executable),
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.open_browser=False",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),  # containers, CI
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _request(base, token, "/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"the Jupyter server did not start: {process.stderr.read().decode()[-2000:]}")
                time.sleep(0.5)
        yield base, token, root
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _request(base, token, path, method="GET", body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read().decode())


def _cells(model):
    return [(cell["cell_type"], "".join(cell["source"]).strip()) for cell in model["content"]["cells"]]


def test_notebook_and_py_twin_open_as_the_same_notebook(server):
    base, token, _ = server
    ipynb = _request(base, token, f"/api/contents/notebooks/{NOTEBOOK.name}?type=notebook&content=1")
    twin = _request(base, token, f"/api/contents/notebooks/{NOTEBOOK.stem}.py?type=notebook&content=1")
    assert ipynb["type"] == twin["type"] == "notebook"
    assert len(_cells(ipynb)) > 3
    assert _cells(ipynb) == _cells(twin)


def test_saving_the_py_twin_updates_the_notebook(server):
    base, token, root = server
    twin = _request(base, token, f"/api/contents/notebooks/{NOTEBOOK.stem}.py?type=notebook&content=1")
    marker = f"A note saved from JupyterLab {secrets.token_hex(4)}"
    twin["content"]["cells"].append({"cell_type": "markdown", "metadata": {}, "source": marker})
    _request(
        base,
        token,
        f"/api/contents/notebooks/{NOTEBOOK.stem}.py",
        method="PUT",
        body={"type": "notebook", "format": "json", "content": twin["content"]},
    )
    on_disk = nbformat.read(root / "notebooks" / NOTEBOOK.name, as_version=4)
    assert on_disk.cells[-1].source.strip() == marker, "the .ipynb twin was not updated when the .py was saved"
    assert marker in (root / "notebooks" / f"{NOTEBOOK.stem}.py").read_text()
