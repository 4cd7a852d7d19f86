"""Every figure says what it shows: `save_figure` needs a title, `image_grid` draws one, both store it in the PNG."""

import numpy as np
import pytest
from PIL import Image

from model.common.plots import image_grid, pyplot, save_figure


def test_save_figure_stores_the_title_and_refuses_a_figure_without_one(tmp_path, png_title):
    fig, ax = pyplot().subplots()
    ax.plot([0, 1])
    with pytest.raises(ValueError, match="give the figure a title"):
        save_figure(fig, tmp_path / "bare.png", dpi=50)
    assert not (tmp_path / "bare.png").exists()
    fig, ax = pyplot().subplots()
    fig.suptitle("cycles against P; 12-9-7-10 network, T = 10")
    assert png_title(save_figure(fig, tmp_path / "titled.png", dpi=50)) == "cycles against P; 12-9-7-10 network, T = 10"


@pytest.mark.parametrize("shape", [(12, 784), (12, 3, 8, 8)], ids=["grey", "rgb"])
def test_image_grid_draws_its_title_above_the_images(tmp_path, png_title, shape):
    title = "Samples of the spikegan GAN 100-1200-1200-784 on mnist, seed 0, after epoch 3 of 10 " * 2
    path = image_grid(np.random.default_rng(0).random(shape), tmp_path / "grid.png", title, nrow=6)
    side = 28 if len(shape) == 2 else 8
    grid_height = 2 * (2 * (side + 2) + 2)  # two rows of images at scale 2
    with Image.open(path) as image:
        banner = np.asarray(image.convert("L"))[: image.height - grid_height]
    assert png_title(path) == title
    assert len(banner) > 2 * 12 and banner.min() == 0 and banner.max() == 255  # two lines of black on white
