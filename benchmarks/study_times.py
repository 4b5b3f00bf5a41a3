"""How long the width and resolution studies take on this machine.

1. Wall time of the smoke profile of notebooks 03 and 04, executed headless
   with papermill exactly as `make book` does (into a temporary folder, with
   an empty results folder so every network trains).
2. The full profile's time per epoch on this machine: one epoch of each
   network of notebook 03 on a stand-in of the full profile's size (10
   classes x 500 training images at 64 px, as Tiny ImageNet's 10-class
   subset), through mnlib.train.run, and the full study it implies
   (30 epochs per network).

    python benchmarks/study_times.py [--skip-notebooks] [--skip-epochs]
"""

import argparse
import tempfile
import time
from pathlib import Path

import mnlib  # noqa: F401  (imports TensorFlow quietly)
import papermill
import tensorflow as tf

from mnlib import data, train

ROOT = Path(__file__).resolve().parent.parent
FULL_EPOCHS = 30  # the full profile's epochs per network (notebooks 03 and 04)


def smoke_notebook_seconds(name: str, folder: Path) -> float:
    notebook = ROOT / "notebooks" / f"{name}.ipynb"
    start = time.perf_counter()
    papermill.execute_notebook(str(notebook), str(folder / f"{name}.ipynb"), cwd=str(notebook.parent),
                               parameters={"RESULTS_DIR": str(folder / "results")},
                               kernel_name="python3", progress_bar=False)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-notebooks", action="store_true", help="do not time the smoke notebooks")
    parser.add_argument("--skip-epochs", action="store_true", help="do not time full-size epochs")
    args = parser.parse_args()
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    print(f"TensorFlow {tf.__version__} on {device}")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.skip_notebooks:
            for name in ("03_width_multiplier", "04_resolution_multiplier"):
                seconds = smoke_notebook_seconds(name, tmp)
                print(f"smoke profile, {name}: {seconds:.0f} s wall time", flush=True)

        if not args.skip_epochs:
            root = data.synthetic("tiny-imagenet", tmp / "full-size", classes=10, images_per_class=500,
                                  eval_images_per_class=50, quirks=False)
            train_images, _ = data.tiny_imagenet(root, "train")
            val_images, _ = data.tiny_imagenet(root, "val")
            networks = [{"alpha": a} for a in (1.0, 0.75, 0.5, 0.25)] + [{"alpha": 1.0, "shallow": True}]
            seconds = {}
            print(f"full-size epoch: 10 classes x 500 images at 64 px, batch 64, on {device}")
            for model_args in networks:
                record = train.run(train_images, val_images, notebook="benchmark", dataset="synthetic",
                                   classes=10, resolution=64, epochs=1, model_args=model_args,
                                   profile="full", results_dir=tmp / "records", verbose=0)
                seconds[str(model_args)] = record["seconds"]
                print(f"  {model_args}: {record['seconds']:.1f} s per epoch "
                      f"({5000 / record['seconds']:.0f} training images/s; first epoch, tracing included)",
                      flush=True)
            # Notebook 03's full profile trains these five networks and alpha 1 once more
            # without augmentation (about as long as alpha 1 with it).
            per_epoch = sum(seconds.values()) + seconds[str({"alpha": 1.0})]
            print(f"notebook 03, full profile ({FULL_EPOCHS} epochs x 6 networks) on this {device}: "
                  f"about {per_epoch * FULL_EPOCHS / 3600:.1f} h")


if __name__ == "__main__":
    main()
