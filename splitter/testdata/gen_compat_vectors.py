#!/usr/bin/python3
# Generates splitter/testdata/compat_vectors.json: the splits, shuffles and
# k-folds that scikit-learn, Hugging Face datasets, PyTorch, NumPy's legacy
# RandomState and Python's random module give, for the compatibility modes of
# splitter.CompatSplit, CompatShuffle and CompatKFold. GENERATED FILE: the
# JSON is the output of this script; never edit it by hand, and never move an
# expected value to make a test pass. Regenerate with
#
#     /usr/bin/python3 splitter/testdata/gen_compat_vectors.py
#
# using Debian's python3 (3.11), python3-numpy, python3-sklearn and
# python3-torch; --stdout prints instead of writing compat_vectors.json.
#
# Hugging Face datasets is not installable here. Its Dataset.train_test_split
# and Dataset.shuffle (src/datasets/arrow_dataset.py) draw
# np.random.default_rng(seed).permutation(len(self)); train_test_split sizes
# test and train with the checks and formulas of scikit-learn's
# _validate_shuffle_split (which it cites), returns the empty dataset as both
# splits when len(self) == 0, and takes test = permutation[:n_test],
# train = permutation[n_test:n_test + n_train]. hf_split below reproduces
# those facts with NumPy; it is written for this script, not taken from
# datasets.
#
# A case gives the mode, n, the seed text (what a user passes to --seed), the
# split spec as splitdata parses it ("test_size" = splitter.ParseTestSize,
# "ratios" = ParseRatios, "sizes" = ParseSizes) and either "error": true or
# the parts, in split-list order (train, test for sklearn and hf), each a
# list of row numbers in the library's order: whole for n <= 10, else the
# sha256 of the rows as little-endian int64 with its length and first 10.
import hashlib
import json
import math
import os
import random
import struct
import sys
import warnings

import numpy as np
import sklearn
import torch
from sklearn.model_selection import KFold, train_test_split
from sklearn.utils import shuffle as sk_shuffle
from torch.utils.data import random_split

NS = [1, 2, 10, 1000, 100003]
WHOLE = 10


def part(rows):
    rows = [int(v) for v in rows]
    if len(rows) <= WHOLE:
        return {"values": rows}
    return {"len": len(rows), "head": rows[:10],
            "sha256": hashlib.sha256(struct.pack("<%dq" % len(rows), *rows)).hexdigest()}


# ---- split specs, parsed as splitdata parses them

def parse_spec(kind, text):
    """The split list as (name, ratio or None, rows or None) triples."""
    if kind == "test_size":
        if text.isdigit():
            return [("train", None, -1), ("test", None, int(text))]
        p = float(text)
        return [("train", 1 - p, None), ("test", p, None)]
    out = []
    for item in text.split(","):
        name, v = item.split("=")
        out.append((name, float(v), None) if kind == "ratios" else (name, None, int(v)))
    return out


def our_sizes(splits, n):
    """splitter.Sizes, algorithm version 1 (docs/algorithm.md), written
    independently here: two ratios -> last gets ceil(n*p); more ratios ->
    largest remainder; counts as given, the rest split gets n - others."""
    if splits[0][1] is not None:
        ratios = [s[1] for s in splits]
        if len(ratios) == 2:
            last = min(math.ceil(n * ratios[1]), n)
            return [n - last, last]
        floors = [math.floor(n * r) for r in ratios]
        fracs = [n * r - f for r, f in zip(ratios, floors)]
        rest = n - sum(floors)
        assert 0 <= rest <= len(ratios)
        order = sorted(range(len(ratios)), key=lambda j: (-fracs[j], j))
        for j in order[:rest]:
            floors[j] += 1
        return floors
    others = sum(s[2] for s in splits if s[2] != -1)
    if others > n:
        raise ValueError("counts exceed n")
    return [n - others if s[2] == -1 else s[2] for s in splits]


def sk_args(splits):
    """train_test_split keyword arguments for a [train, test] list."""
    (_, tr_ratio, tr_rows), (_, te_ratio, te_rows) = splits
    if te_ratio is not None:
        return {"test_size": te_ratio}
    return {"train_size": None if tr_rows == -1 else tr_rows,
            "test_size": None if te_rows == -1 else te_rows}


def slices(perm, sizes):
    out, at = [], 0
    for s in sizes:
        out.append(perm[at:at + s])
        at += s
    return out


# ---- the libraries

def sk_split(n, seed, splits):
    train, test = train_test_split(np.arange(n), shuffle=True, random_state=int(seed), **sk_args(splits))
    return [train, test]


def hf_sizes(n, test_size, train_size):
    # datasets' train_test_split size rules (see the header).
    if test_size is None and train_size is None:
        test_size = 0.25
    for v in (test_size, train_size):
        if isinstance(v, int) and (v >= n or v <= 0) or isinstance(v, float) and (v <= 0 or v >= 1):
            raise ValueError("size out of range")
    if isinstance(train_size, float) and isinstance(test_size, float) and train_size + test_size > 1:
        raise ValueError("fractions sum above 1")
    if isinstance(test_size, float):
        n_test = math.ceil(test_size * n)
    elif isinstance(test_size, int):
        n_test = float(test_size)
    if isinstance(train_size, float):
        n_train = math.floor(train_size * n)
    elif isinstance(train_size, int):
        n_train = float(train_size)
    if train_size is None:
        n_train = n - n_test
    elif test_size is None:
        n_test = n - n_train
    if n_train + n_test > n:
        raise ValueError("sizes exceed n")
    n_train, n_test = int(n_train), int(n_test)
    if n_train == 0:
        raise ValueError("empty train")
    return n_train, n_test


def hf_split(n, seed, splits):
    if n == 0:
        return [[], []]
    a = sk_args(splits)
    n_train, n_test = hf_sizes(n, a.get("test_size"), a.get("train_size"))
    perm = np.random.default_rng(int(seed)).permutation(n)
    return [perm[n_test:n_test + n_train], perm[:n_test]]


def torch_lengths(n, splits):
    if splits[0][1] is not None:
        return [s[1] for s in splits]
    others = sum(s[2] for s in splits if s[2] != -1)
    if others > n:
        raise ValueError("counts exceed n")
    return [n - others if s[2] == -1 else s[2] for s in splits]


def torch_split(n, seed, splits):
    g = torch.Generator().manual_seed(int(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Length of split at index i is 0"
        subsets = random_split(range(n), torch_lengths(n, splits), generator=g)
    return [list(s) for s in subsets]


def legacy_perm(n, seed):
    np.random.seed(int(seed))
    return np.random.permutation(n)


def py_seed(seed):
    try:
        return int(seed)
    except ValueError:
        return seed


def py_perm(n, seed):
    random.seed(py_seed(seed))
    x = list(range(n))
    random.shuffle(x)
    return x


def legacy_split(n, seed, splits):
    return slices(list(legacy_perm(n, seed)), our_sizes(splits, n))


def py_split(n, seed, splits):
    return slices(py_perm(n, seed), our_sizes(splits, n))


SPLIT = {"sklearn": sk_split, "hf": hf_split, "torch": torch_split,
         "numpy-legacy": legacy_split, "python": py_split}

SHUFFLE = {
    "sklearn": lambda n, s: sk_shuffle(np.arange(n), random_state=int(s)),
    "hf": lambda n, s: np.random.default_rng(int(s)).permutation(n),
    "torch": lambda n, s: torch.randperm(n, generator=torch.Generator().manual_seed(int(s))).tolist(),
    "numpy-legacy": legacy_perm,
    "python": py_perm,
}


def kfold(mode, n, k, seed):
    if mode == "sklearn":
        return [test for _, test in KFold(k, shuffle=True, random_state=int(seed)).split(np.arange(n))]
    perm = legacy_perm(n, seed) if mode == "numpy-legacy" else py_perm(n, seed)
    return np.array_split(np.asarray(perm), k)


SEEDS = {
    "sklearn": ["0", "42", "4294967295"],
    "hf": ["0", "42", "4294967295", "18446744073709551617"],
    "torch": ["0", "42", "4294967295", "-1"],
    "numpy-legacy": ["0", "42", "4294967295"],
    "python": ["0", "42", "4294967295", "-7", "splitdata", "grüße"],
}

TWO_WAY = [("test_size", "0.2"), ("test_size", "0.25"), ("test_size", "3"),
           ("ratios", "train=0.7,test=0.3"), ("sizes", "train=5,test=3"), ("sizes", "train=600,test=300")]
SPECS = {
    "sklearn": TWO_WAY,
    "hf": TWO_WAY,
    "torch": TWO_WAY + [("ratios", "train=0.7,valid=0.2,test=0.1"), ("ratios", "a=0.1,b=0.2,c=0.7"),
                        ("ratios", "a=0.5,b=0.5"), ("ratios", "a=0.25,b=0.25,c=0.25,d=0.25"), ("sizes", "all=1")],
    "numpy-legacy": TWO_WAY + [("ratios", "train=0.7,valid=0.2,test=0.1")],
    "python": TWO_WAY + [("ratios", "train=0.7,valid=0.2,test=0.1"), ("ratios", "a=0.25,b=0.25,c=0.25,d=0.25")],
}


def run(f):
    try:
        return {"parts": [part(p) for p in f()]}
    except ValueError:
        return {"error": True}


def main():
    splits, shuffles, kfolds = [], [], []
    for mode in SPLIT:
        for seed in SEEDS[mode]:
            for n in NS:
                for kind, text in SPECS[mode]:
                    c = {"mode": mode, "n": n, "seed": seed, "kind": kind, "spec": text}
                    c.update(run(lambda: SPLIT[mode](n, seed, parse_spec(kind, text))))
                    splits.append(c)
                c = {"mode": mode, "n": n, "seed": seed}
                c.update(run(lambda: [SHUFFLE[mode](n, seed)]))
                shuffles.append(c)
                if mode in ("sklearn", "numpy-legacy", "python"):
                    for k in (2, 3, 5):
                        if k <= n:
                            c = {"mode": mode, "n": n, "seed": seed, "k": k}
                            c.update(run(lambda: kfold(mode, n, k, seed)))
                            kfolds.append(c)
    out = {
        "versions": {"numpy": np.__version__, "sklearn": sklearn.__version__, "torch": torch.__version__,
                     "python": sys.version.split()[0]},
        "split": splits, "shuffle": shuffles, "kfold": kfolds,
    }
    text = json.dumps(out, sort_keys=True, separators=(",", ":")) + "\n"
    if "--stdout" in sys.argv[1:]:
        sys.stdout.write(text)
        return
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "compat_vectors.json"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
