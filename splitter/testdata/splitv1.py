#!/usr/bin/python3
"""splitdata algorithm version 1 in NumPy: print the split of every row.

    python3 splitv1.py SEED N --ratios train=0.8,test=0.2 [--approx]
    python3 splitv1.py SEED N --test-size 0.2     (or a row count: 2000)
    python3 splitv1.py SEED N --sizes train=8000,test=2000

prints the CSV of `splitdata explain --rows 0-(N-1) --total N` with the same
options: row,key,split, the split empty for a row in no split. The options
are assumed valid (splitdata checks them).
"""
import hashlib
import math
import sys

import numpy as np


def seed_value(text):
    """The master seed: a decimal integer, or the SHA-256 of the text."""
    if text.isascii() and text.isdigit():
        return int(text)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")


def parse_splits(option, value):
    """[(name, ratio)] as floats, or [(name, count)] with None for the rest."""
    if option == "--test-size":
        if value.strip().isascii() and value.strip().isdigit():
            return [("train", None), ("test", int(value))]
        return [("train", 1 - float(value)), ("test", float(value))]
    pairs = [item.split("=") for item in value.split(",")]
    kind = int if option == "--sizes" else float
    return [(name.strip(), kind(v)) for name, v in pairs]


def sizes(n, splits):
    """The exact number of rows of each split, in listed order."""
    values = [v for _, v in splits]
    if not isinstance(values[0], float):  # row counts, None takes the rest
        fixed = sum(v for v in values if v is not None)
        return [n - fixed if v is None else v for v in values]
    if len(values) == 2:  # scikit-learn: the last gets ceil(n * p)
        last = min(math.ceil(n * values[1]), n)
        return [n - last, last]
    size = [min(math.floor(n * r), n) for r in values]  # largest remainder
    frac = [n * r - math.floor(n * r) for r in values]
    order = sorted(range(len(values)), key=lambda j: -frac[j])  # ties: earlier
    rest = n - sum(size)
    if rest >= 0:  # deal the rest, round after round
        for t, j in enumerate(order):
            size[j] += rest // len(order) + (1 if t < rest % len(order) else 0)
    while rest < 0:  # ratios summing to a little over 1: take rows back
        for j in reversed(order):
            if rest < 0 and size[j] > 0:
                size[j] -= 1
                rest += 1
    return size


def assign(seed, n, splits, approx=False):
    """Every row's key and split id (len(splits) for a row in no split)."""
    key = np.random.PCG64(seed).random_raw(n)
    if approx:
        ids, c = np.zeros(n, dtype=np.int64), 0.0
        for _, r in splits[:-1]:
            c += r
            if c >= 1:
                break
            ids += key >= np.uint64(math.floor(c * 2**64))
        return key, ids
    order = np.lexsort((np.arange(n), key))  # canonical order: key, then row
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    ends = np.cumsum(np.array(sizes(n, splits), dtype=np.int64))
    return key, np.searchsorted(ends, rank, side="right")


def main(argv):
    seed, n = seed_value(argv[1]), int(argv[2])
    splits = parse_splits(argv[3], argv[4])
    key, ids = assign(seed, n, splits, approx="--approx" in argv[5:])
    names = [name for name, _ in splits] + [""]
    print("row,key,split")
    for i in range(n):
        print(f"{i},{key[i]},{names[ids[i]]}")


if __name__ == "__main__":
    main(sys.argv)
