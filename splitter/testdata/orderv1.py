#!/usr/bin/python3
"""splitdata algorithm version 1 in NumPy: time-ordered splits, scikit-learn's
train_size/test_size, TimeSeriesSplit folds and repeated k-fold keys
(docs/algorithm.md, section 18). It builds on splitv1.py beside it.

    python3 orderv1.py --ratios train=0.8,test=0.2 [--nulls first] < values.txt

reads one value per line (the column's values in input order; an empty
line is null, "nan" is NaN) and prints row,split for every row, the split
empty for a row in no split; the other split options are those of
splitv1.py. The functions are what the Go tests' vectors come from.
"""
import math
import sys

import numpy as np

import splitv1


def order_ids(values, sizes, nulls="last"):
    """Every row's split id when rows are ranked by (value, row index):
    nulls first or last, NaN after +Inf, -0.0 equal to 0.0; the first
    sizes[0] ranks go to split 0 and so on, len(sizes) past their sum.
    values holds int, float or None; "row" order is all values equal."""
    def rank_key(i):
        v = values[i]
        if v is None:
            return (0 if nulls == "first" else 3, 0, i)
        if isinstance(v, float) and math.isnan(v):
            return (2, 0, i)
        return (1, v, i)
    order = sorted(range(len(values)), key=rank_key)
    ends = np.cumsum(np.array(sizes, dtype=np.int64))
    ids = [0] * len(values)
    for rank, i in enumerate(order):
        ids[i] = int(np.searchsorted(ends, rank, side="right"))
    return ids


def train_test_sizes(n, train=None, test=None):
    """Rows of train and test for train_size and test_size (a float
    fraction, an int count or None), as scikit-learn 1.2 sizes them."""
    n_test = math.ceil(test * n) if isinstance(test, float) else test
    n_train = math.floor(train * n) if isinstance(train, float) else train
    if n_train is None:
        n_train = n - n_test
    if n_test is None:
        n_test = n - n_train
    return n_train, n_test


def timeseries_folds(n, k, gap=0, max_train_size=0, test_size=0):
    """[(train_start, train_end, test_start, test_end)] of k folds, in
    ranks of the order, as TimeSeriesSplit gives them; the checks that
    refuse options are scikit-learn's."""
    t = test_size or n // (k + 1)
    if k + 1 > n or n - gap - k * t <= 0:
        raise ValueError("too many folds for the rows")
    folds = []
    for start in range(n - k * t, n, t):
        end = start - gap
        first = end - max_train_size if 0 < max_train_size < end else 0
        folds.append((first, end, start, start + t))
    return folds


def repeat_keys(seed, n, r):
    """The row keys of repeat r of kfold --repeats: the master generator
    jumped r times (repeat 0: the plain keys of section 3)."""
    return np.random.PCG64(seed).jumped(r).random_raw(n) if r else np.random.PCG64(seed).random_raw(n)


def main(argv):
    nulls = "first" if "--nulls" in argv and argv[argv.index("--nulls") + 1] == "first" else "last"
    splits = splitv1.parse_splits(argv[1], argv[2])
    values = []
    for line in sys.stdin:
        text = line.rstrip("\n")
        values.append(None if text == "" else float(text) if any(c in text for c in ".en") else int(text))
    names = [name for name, _ in splits] + [""]
    ids = order_ids(values, splitv1.sizes(len(values), splits), nulls)
    print("row,split")
    for i, j in enumerate(ids):
        print(f"{i},{names[j]}")


if __name__ == "__main__":
    main(sys.argv)
