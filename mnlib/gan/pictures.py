"""Pictures of a GAN's images: grids of samples, and figures kept small as JPEG.

* :func:`image_grid` - images in [-1, 1] as one uint8 picture (the
  per-epoch grids that :func:`mnlib.gan.run` saves, the latent walks);
* :func:`grid_strip` - saved grids side by side, evenly spread over the epochs;
* :func:`jpeg` - a Matplotlib figure as a small JPEG for a notebook (noise-like
  pixels make PNGs of megabytes), the figure closed.

Introduced in chapter 7.
"""

from __future__ import annotations

import io
import math
import pathlib

import numpy as np

__all__ = ["image_grid", "grid_strip", "jpeg"]


def image_grid(images, columns: int = 4) -> np.ndarray:
    """Images ``[n, r, r, 3]`` in [-1, 1] as one uint8 picture, ``columns`` wide, 2-pixel white gaps."""
    from mnlib.gan.quality import to_pixels

    pixels = np.asarray(to_pixels(images)).round().astype(np.uint8)
    n, side = len(pixels), pixels.shape[1]
    rows = math.ceil(n / columns)
    grid = np.full((rows * (side + 2) - 2, columns * (side + 2) - 2, 3), 255, np.uint8)
    for k, image in enumerate(pixels):
        r, c = divmod(k, columns)
        grid[r * (side + 2) : r * (side + 2) + side, c * (side + 2) : c * (side + 2) + side] = image
    return grid


def grid_strip(files, results_dir, title: str, shown: int = 6):
    """A figure of up to ``shown`` saved grids (paths relative to ``results_dir``), evenly spread, titled by epoch."""
    import matplotlib.pyplot as plt
    from PIL import Image

    from mnlib import plots

    picked = sorted({round(k) for k in np.linspace(0, len(files) - 1, min(shown, len(files)))})
    with plt.rc_context(plots.STYLE):
        fig, axes = plt.subplots(1, len(picked), figsize=(1.6 * len(picked), 2.0), layout="constrained",
                                 squeeze=False)  # fmt: skip
        for ax, k in zip(axes[0], picked):
            ax.imshow(Image.open(pathlib.Path(results_dir) / files[k]))
            ax.set_title(f"epoch {k + 1}", fontsize=9)
            ax.axis("off")
        fig.suptitle(title)
    return fig


def jpeg(fig, dpi: int = 80, quality: int = 80):
    """``fig`` as an ``IPython.display.Image`` (JPEG at ``dpi`` and ``quality``); the figure is closed.

    A notebook shows it when it is a cell's last value (or through ``display``).
    Needs IPython, which Jupyter and Colab bring (mnlib itself does not depend on it).
    """
    import matplotlib.pyplot as plt
    from IPython.display import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg", dpi=dpi, pil_kwargs={"quality": quality})
    plt.close(fig)
    return Image(data=buffer.getvalue(), format="jpeg")
