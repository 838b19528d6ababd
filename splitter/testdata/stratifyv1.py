#!/usr/bin/python3
"""splitdata algorithm version 1 in NumPy: stratified splits, grouped splits
balanced by rows, and bootstrap samples (docs/algorithm.md, sections 12-15).
It builds on splitv1.py, the reference of the plain split, beside it.

    python3 stratifyv1.py SEED --ratios train=0.8,test=0.2 < classes.txt

reads one class label per line (the rows in input order) and prints
row,class,split for every row, the split empty for a row in no split; the
other split options are those of splitv1.py. The functions are what the Go
tests' vectors come from.
"""
import sys

import numpy as np

import splitv1


def controlled_rounding(counts, totals):
    """Per-class sizes x[c][j]: rows sum to counts, columns to totals, and
    every cell is floor or ceil of counts[c]*totals[j]/n (section 12)."""
    n, m, k = sum(counts), len(counts), len(totals)
    if n == 0:
        return [[0] * k for _ in counts]
    x = [[c * t // n for t in totals] for c in counts]
    rem = np.array([[c * t % n for t in totals] for c in counts], dtype=np.int64).reshape(m, k)
    up = np.zeros((m, k), dtype=bool)
    for c in range(m):  # largest remainder inside each class, ties to the lower column
        order = sorted((j for j in range(k) if rem[c, j] > 0), key=lambda j: -rem[c, j])
        for j in order[:counts[c] - sum(x[c])]:
            x[c][j] += 1
            up[c, j] = True
    excess = [sum(x[c][j] for c in range(m)) - totals[j] for j in range(k)]
    while any(e > 0 for e in excess):
        best = {}  # (j, j2): the class of the cheapest move, ties to the highest
        for j in range(k):
            for j2 in range(k):
                ok = np.flatnonzero(up[:, j] & ~up[:, j2] & (rem[:, j2] > 0))
                if j != j2 and ok.size:
                    cost = rem[ok, j] - rem[ok, j2]
                    best[j, j2] = int(ok[cost == cost.min()].max())
        dist = [0 if e > 0 else None for e in excess]
        pred = [-1] * k
        changed = True
        while changed:  # Bellman-Ford from every column with too many rows
            changed = False
            for j in range(k):
                for j2 in range(k):
                    if dist[j] is None or (j, j2) not in best:
                        continue
                    c = best[j, j2]
                    d = dist[j] + int(rem[c, j]) - int(rem[c, j2])
                    if dist[j2] is None or d < dist[j2]:
                        dist[j2], pred[j2], changed = d, j, True
        t = min((j for j in range(k) if excess[j] < 0 and dist[j] is not None),
                key=lambda j: dist[j])
        excess[t] += 1
        while pred[t] >= 0:  # move one row along the path
            j = pred[t]
            c = best[j, t]
            x[c][j], x[c][t] = x[c][j] - 1, x[c][t] + 1
            up[c, j], up[c, t] = False, True
            if pred[j] < 0:
                excess[j] -= 1
            t = j
    return x


def with_rest(n, totals):
    """The totals plus a rest column if they leave rows unassigned."""
    return totals + [n - sum(totals)] if sum(totals) < n else totals


def stratified_sizes(counts, splits):
    """Rows of each class in each split (section 12)."""
    n = sum(counts)
    totals = splitv1.sizes(n, splits)
    return [row[:len(totals)] for row in controlled_rounding(counts, with_rest(n, totals))]


def kfold_sizes(counts, k):
    """Rows of each class in each of k folds (section 13)."""
    n = sum(counts)
    return controlled_rounding(counts, [n // k + (1 if j < n % k else 0) for j in range(k)])


def stratified_assign(seed, classes, table):
    """Every row's split id: inside class c, the rows in canonical order,
    the first table[c][0] to split 0, and so on; len(table[c]) if none."""
    classes = np.asarray(classes)
    key = np.random.PCG64(seed).random_raw(len(classes))
    ids = np.empty(len(classes), dtype=np.int64)
    for c, sizes in enumerate(table):
        rows = np.flatnonzero(classes == c)
        rows = rows[np.lexsort((rows, key[rows]))]  # class c in canonical order
        ends = np.cumsum(np.array(sizes, dtype=np.int64))
        ids[rows] = np.searchsorted(ends, np.arange(len(rows)), side="right")
    return ids


def row_balanced_assign(group_keys, splits):
    """Every row's split id when whole groups go by the rank of their first
    row in (group key, row) order (section 14)."""
    group_keys = np.asarray(group_keys, dtype=np.uint64)
    first = np.searchsorted(np.sort(group_keys), group_keys, side="left")
    ends = np.cumsum(np.array(splitv1.sizes(len(group_keys), splits), dtype=np.int64))
    return np.searchsorted(ends, first, side="right")


def bootstrap(seed, n, k):
    """The sorted row indices of k draws with replacement (section 15)."""
    return np.sort(np.random.Generator(np.random.PCG64(seed)).integers(0, n, k))


def main(argv):
    seed = splitv1.seed_value(argv[1])
    splits = splitv1.parse_splits(argv[2], argv[3])
    labels = [line.rstrip("\n") for line in sys.stdin]
    names = sorted(set(labels))  # splitdata sorts canonical values, null first
    classes = [names.index(v) for v in labels]
    table = stratified_sizes([classes.count(c) for c in range(len(names))], splits)
    ids = stratified_assign(seed, classes, table)
    split_names = [name for name, _ in splits] + [""]
    print("row,class,split")
    for i, label in enumerate(labels):
        print(f"{i},{label},{split_names[ids[i]]}")


if __name__ == "__main__":
    main(sys.argv)
