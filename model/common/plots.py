"""Figures a person looks at: matplotlib without a display (every matplotlib figure of the project is made with
`pyplot` and written by `save_figure`), image grids (PIL, fast enough to write every epoch) and GAN loss curves.

Every figure is titled with what it shows and which configuration: `save_figure` refuses a figure without a
``suptitle``, `image_grid` draws its title above the images, and both store the title as the PNG's ``Title``."""

from __future__ import annotations

import textwrap
from functools import cache
from pathlib import Path

import numpy as np
import torch


@cache
def pyplot():
    """``matplotlib.pyplot`` on the headless Agg backend, chosen once: figures here are files, never windows.

    Imported on first use, so that commands which draw nothing do not pay for matplotlib.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def wrap(text: str, width: int) -> str:
    """``text`` in lines of at most ``width`` characters, broken at spaces only: never inside a name such as
    ``100-1200-784`` or a path."""
    return textwrap.fill(text, width, break_on_hyphens=False, break_long_words=False)


def save_figure(fig, path, dpi: int) -> Path:
    """Write ``fig`` as a PNG of ``dpi`` dots per inch, its ``suptitle`` also as the PNG's ``Title`` (on one line),
    and close it (pyplot keeps every figure until closed). A figure without a title is refused: a reader of the
    file alone must learn what it shows."""
    path = Path(path)
    title = fig.get_suptitle()
    if not title:
        pyplot().close(fig)
        raise ValueError(f"{path.name}: give the figure a title (fig.suptitle) that says what it shows")
    fig.savefig(path, dpi=dpi, metadata={"Title": " ".join(title.split())})  # one line, however it is wrapped
    pyplot().close(fig)
    return path


def image_grid(images, path: str | Path, title: str, nrow: int = 10, scale: int = 2, pad: int = 2) -> Path:
    """Write images in [0, 1] as one PNG, ``nrow`` per row, under ``title`` (what they are, which configuration):
    ``(N, 784)`` or ``(N, H, W)`` grayscale, ``(N, C, H, W)`` with C = 1 (grayscale) or 3 (RGB)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    arr = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    arr = arr.reshape(len(arr), 1, 28, 28) if arr.ndim == 2 else arr[:, None] if arr.ndim == 3 else arr
    arr = np.clip(arr, 0.0, 1.0).transpose(0, 2, 3, 1)  # (N, H, W, C)
    n, h, w, c = arr.shape
    ncol = min(nrow, n)
    rows = -(-n // ncol)
    canvas = np.full((rows * (h + pad) + pad, ncol * (w + pad) + pad, c), 0.5, dtype=np.float64)
    for i, img in enumerate(arr):
        r, col = divmod(i, ncol)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        canvas[top : top + h, left : left + w] = img
    pixels = np.round(canvas * 255).astype(np.uint8)
    image = Image.fromarray(pixels[..., 0] if c == 1 else pixels, mode="L" if c == 1 else "RGB")
    image = image.resize((canvas.shape[1] * scale, canvas.shape[0] * scale), Image.NEAREST)
    image = _with_banner(image, title)
    info = PngInfo()
    info.add_text("Title", title)
    path = Path(path)
    image.save(path, pnginfo=info)
    return path


def _with_banner(image, title: str, size: int = 12):
    """``image`` below a white strip with ``title`` in black, wrapped to the image's width."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=size)
    lines, line = [], ""
    for word in title.split():
        wider = f"{line} {word}".strip()
        if line and font.getlength(wider) > image.width - 8:
            lines.append(line)
            wider = word
        line = wider
    lines.append(line)
    step = size + 3
    white, black = (255, 0) if image.mode == "L" else ((255, 255, 255), (0, 0, 0))
    out = Image.new(image.mode, (image.width, step * len(lines) + 6), white)
    draw = ImageDraw.Draw(out)
    for k, text in enumerate(lines):
        draw.text((4, 3 + k * step), text, fill=black, font=font)
    framed = Image.new(image.mode, (image.width, out.height + image.height), white)
    framed.paste(out, (0, 0))
    framed.paste(image, (0, out.height))
    return framed


def loss_curve(history: dict[str, list[float]], path: str | Path, updates_per_epoch: int, title: str) -> Path:
    """Plot D and G losses and D's mean outputs per update, with a running mean over one epoch, under ``title``."""
    plt = pyplot()
    def smooth(values):
        v = np.asarray(values, dtype=np.float64)
        k = max(1, min(updates_per_epoch, len(v)))
        return np.convolve(v, np.ones(k) / k, mode="valid"), np.arange(k, len(v) + 1)

    fig, (ax_loss, ax_d) = plt.subplots(1, 2, figsize=(11, 4))
    for key, label, color in (("d_loss", "D loss", "tab:red"), ("g_loss", "G loss", "tab:blue")):
        ax_loss.plot(np.arange(1, len(history[key]) + 1), history[key], color=color, alpha=0.2, lw=0.7)
        y, x = smooth(history[key])
        ax_loss.plot(x, y, color=color, label=label)
    ax_loss.set(xlabel="update", ylabel="loss", title="losses (line: mean over one epoch)")
    ax_loss.legend()
    for key, label, color in (("d_real", "D(x) real", "tab:green"), ("d_fake", "D(G(u)) fake", "tab:purple")):
        y, x = smooth(history[key])
        ax_d.plot(x, y, color=color, label=label)
    ax_d.set(xlabel="update", ylabel="mean D output", ylim=(0, 1), title="discriminator outputs")
    ax_d.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path, dpi=100)
