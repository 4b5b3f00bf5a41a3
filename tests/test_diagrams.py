"""mnlib.diagrams: drawn from their parameters, sized for the page, bad inputs refused."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from mnlib import diagrams, models  # noqa: E402


def _texts(fig):
    return (
        [t for ax in fig.axes for t in ax.texts]
        + [ax.title for ax in fig.axes]
        + ([fig._suptitle] if fig._suptitle else [])
    )


def _check_page_size(fig):
    width, _ = fig.get_size_inches()
    assert width <= 10
    assert all(t.get_fontsize() >= 9 for t in _texts(fig) if t.get_text())


def test_convolution_filters_follow_the_channel_counts():
    fig = diagrams.convolution_filters(kernel=3, in_channels=8, out_channels=6)
    _check_page_size(fig)
    titles = [ax.get_title() for ax in fig.axes]
    assert "6 filters of 3×3×8: 432 weights" in titles[0]
    assert "8 filters of 3×3×1: 72 weights" in titles[1]
    assert "6 filters of 1×1×8: 48 weights" in titles[2]
    other = diagrams.convolution_filters(kernel=5, in_channels=4, out_channels=16)
    assert "16 filters of 5×5×4: 1,600 weights" in other.axes[0].get_title()
    plt.close("all")


def test_separable_block_counts_the_paper_table_3_layer():
    fig = diagrams.separable_block(512, 512, 14)
    _check_page_size(fig)
    text = " ".join(t.get_text() for t in _texts(fig))
    assert "2,359,296 weights" in text and "266,752 weights" in text  # 9·512² and 9·512 + 512²
    assert "14×14×512" in text
    plt.close("all")


def test_stages_label_every_map_of_the_model():
    model = models.mobilenet(0.5, (52, 52, 3), 10)
    fig = diagrams.stages(model)
    _check_page_size(fig)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels.count("block 13") == 1 and "52×52×3" in labels and "26×26×16" in labels
    assert "1×1×512" in labels  # 52 px: the last maps are a single pixel
    assert "a 1×1 map of 512 channels" in fig.axes[0].get_title()
    plt.close("all")


@pytest.mark.parametrize(
    "call",
    [
        lambda: diagrams.convolution_filters(kernel=0),
        lambda: diagrams.convolution_filters(in_channels=2.5),
        lambda: diagrams.separable_block(out_channels=-1),
    ],
)
def test_bad_sizes_are_refused_with_what_is_allowed(call):
    with pytest.raises(ValueError, match="must be an integer >= 1, got"):
        call()


def test_stages_needs_a_mobilenet():
    with pytest.raises(TypeError, match="keras.Model"):
        diagrams.stages("mobilenet")
