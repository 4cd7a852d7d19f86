"""``python -m model data fetch|info``: make the datasets ready, or describe them."""

from __future__ import annotations

from model.data.mnist import DATASETS, SPLITS, fetch_all, load_dataset


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=("fetch", "info"), help="fetch: download what is missing; info: describe each split")
    parser.add_argument("--data-dir", default=None, help="folder with IDX files (default: DATA_DIR, else the standard sources)")


def run(args) -> int:
    if args.action == "fetch" and not args.data_dir:
        fetch_all()
        return 0
    for name in DATASETS:
        for split in SPLITS:
            s = load_dataset(name, split, args.data_dir)
            print(f"{name:7s} {split:5s} {tuple(s.images.shape)} labels {s.labels.bincount().tolist()} <- {s.source}")
    return 0
