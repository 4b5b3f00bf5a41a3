"""How long the course's chapters take on this machine.

1. The smoke profile's wall time of every chapter in the table of contents,
   executed headless with papermill as `make book` does: in the book's order,
   into one results folder that starts empty (so every network trains once,
   chapter 4 finds chapter 3's 64 px network and chapters 7 and 8 find
   chapter 6's classifier). The machine's load average is printed beside
   each time: compare times only at a load below the number of cores.
2. The full profile's time per epoch on this machine: one epoch of each
   network of chapters 3 and 4 on a stand-in of the full profile's size
   (10 classes x 500 training images and 50 validation images per class, as
   Tiny ImageNet's 10-class subset), through mnlib.train.run, and the full
   studies it implies (30 epochs per network, three seeds each).

On a GPU machine the same script measures the GPU; the device is printed.

    python benchmarks/study_times.py [--skip-notebooks] [--skip-epochs] [--notebooks 03 04]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import mnlib  # noqa: F401  (imports TensorFlow quietly)

# isort: split
import papermill

from mnlib import data, device, train

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from run_notebooks import toc_notebooks  # noqa: E402

FULL_EPOCHS = train.PROFILES["full"]["epochs"]  # per network (chapters 3 and 4)
FULL_SEEDS = 3  # the full profile of chapters 3 and 4 trains each network with seeds 0, 1, 2


def smoke_seconds(notebook: Path, folder: Path) -> float:
    """Wall time of one chapter's smoke run, into the results folder shared by every chapter."""
    os.environ["MNLIB_RESULTS_DIR"] = str(folder / "results")
    start = time.perf_counter()
    papermill.execute_notebook(
        str(notebook), str(folder / notebook.name), cwd=str(notebook.parent), kernel_name="python3", progress_bar=False
    )
    return time.perf_counter() - start


def epoch_seconds(folder: Path, device: str) -> None:
    root = data.synthetic(
        "tiny-imagenet", folder / "full-size", classes=10, images_per_class=500, eval_images_per_class=50, quirks=False
    )
    train_images, _ = data.tiny_imagenet(root, "train")
    val_images, _ = data.tiny_imagenet(root, "val")
    networks = [({"alpha": a}, 64) for a in (1.0, 0.75, 0.5, 0.25)] + [({"alpha": 1.0, "shallow": True}, 64)]
    networks += [({"alpha": 1.0}, r) for r in (52, 44, 36)]
    print(f"full-size epoch: 10 classes x 500 images, batch 64, on {device} (first epoch, tracing included)")
    seconds = {}
    for model_args, resolution in networks:
        record = train.run(
            train_images,
            val_images,
            dataset="synthetic",
            classes=10,
            resolution=resolution,
            epochs=1,
            batch_size=64,
            model_args=model_args,
            profile="full",
            results_dir=folder / "records",
            verbose=0,
        )
        seconds[(str(model_args), resolution)] = record["seconds"]
        print(
            f"  {model_args} at {resolution} px: {record['seconds']:.1f} s per epoch "
            f"({5000 / record['seconds']:.0f} training images/s)",
            flush=True,
        )
    width = sum(s for (_, r), s in seconds.items() if r == 64) + seconds[(str({"alpha": 1.0}), 64)]
    resolution = sum(s for (args, r), s in seconds.items() if args == str({"alpha": 1.0}) and r != 64)
    print(
        f"chapter 3, full profile ({FULL_EPOCHS} epochs x 6 networks x {FULL_SEEDS} seeds) on this {device}: "
        f"about {width * FULL_EPOCHS * FULL_SEEDS / 3600:.1f} h"
    )
    print(
        f"chapter 4, full profile ({FULL_EPOCHS} epochs x 3 networks x {FULL_SEEDS} seeds, beside chapter 3's "
        f"64 px) on this {device}: about {resolution * FULL_EPOCHS * FULL_SEEDS / 3600:.1f} h"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-notebooks", action="store_true", help="do not time the smoke runs")
    parser.add_argument("--skip-epochs", action="store_true", help="do not time full-size epochs")
    parser.add_argument("--notebooks", nargs="*", help="chapter numbers to time (default: all)")
    args = parser.parse_args()
    name = device.accelerator().name
    print(f"mnlib on {name}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.skip_notebooks:
            for notebook in toc_notebooks():
                if args.notebooks and notebook.name[:2] not in args.notebooks:
                    continue
                seconds = smoke_seconds(notebook, tmp)
                load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
                print(f"smoke profile, {notebook.stem}: {seconds:.0f} s wall time (load average {load})", flush=True)
        if not args.skip_epochs:
            epoch_seconds(tmp, name)


if __name__ == "__main__":
    main()
