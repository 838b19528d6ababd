#!/usr/bin/python3
"""splitdata algorithm version 1 in Python: stratified grouped splits and
folds (--stratify COL --group COL, docs/algorithm.md section 17). It builds
on splitv1.py, the reference of the plain split, beside it.

    python3 stratgroupv1.py SEED --ratios train=0.8,test=0.2 < rows.txt
    python3 stratgroupv1.py SEED --kfold 5 < rows.txt

reads one row per line, "group<TAB>class" (the rows in input order; the
group is an integer, as section 7b hashes integers) and prints
row,group,class,split for every row, the split empty for a row in no split.
The other split options are those of splitv1.py. The functions are what the
Go tests' vectors come from.
"""
import hmac
import sys

import splitv1


def group_key(seed, canonical):
    """Section 7b: the key of a group from its canonical bytes."""
    return int.from_bytes(hmac.new(str(seed).encode(), canonical, "sha256").digest()[:8], "big")


def targets(n, option, value):
    """Target rows per split: section 5's sizes (plus a rest of rows in no
    split when counts leave some), or KFold's fold sizes (section 8)."""
    if option == "--kfold":
        k = int(value)
        return [n // k + (1 if j < n % k else 0) for j in range(k)]
    sizes = splitv1.sizes(n, splitv1.parse_splits(option, value))
    return sizes + [n - sum(sizes)] if sum(sizes) < n else sizes


def level(size):
    """A group's level: its size's bit length and the two bits below the
    top one, so sizes within a level differ by less than a quarter."""
    b = size.bit_length()
    return (b << 2) + ((size << 2) >> (b - 1)) - 4


def place_groups(groups, class_rows, sizes):
    """groups: {group key: {class: rows}}. Returns {group key: split}: the
    groups by descending level, ascending key inside a level, each to the
    split whose squared class-share deviations it increases least, ties to
    the earlier split."""
    n = sum(class_rows)
    share = [float(s) / float(n) for s in sizes]
    x = [[0] * len(class_rows) for _ in sizes]
    order = sorted(groups, key=lambda g: (-level(sum(groups[g].values())), g))
    split = {}
    for g in order:
        counts = sorted(groups[g].items())
        best, best_cost = 0, 0.0
        for j in range(len(sizes)):
            cost = 0.0
            for c, rows in counts:
                a = float(rows) / float(class_rows[c])
                b = float(x[j][c]) / float(class_rows[c]) - share[j]
                cost += a * (2 * b + a)
            if j == 0 or cost < best_cost:
                best, best_cost = j, cost
        for c, rows in counts:
            x[best][c] += rows
        split[g] = best
    return split


def assign(seed, groups, classes, option, value):
    """Every row's split id (the number of named splits for a row in no
    split), from its group's integer value and its class label."""
    names = sorted(set(classes))  # canonical order: by the label's bytes
    cls = [names.index(c) for c in classes]
    class_rows = [cls.count(c) for c in range(len(names))]
    keys = [group_key(seed, b"\x01" + str(g).encode()) for g in groups]
    rows = {}
    for k, c in zip(keys, cls):
        rows.setdefault(k, {}).setdefault(c, 0)
        rows[k][c] += 1
    split = place_groups(rows, class_rows, targets(len(classes), option, value))
    return [split[k] for k in keys]


def main(argv):
    seed = splitv1.seed_value(argv[1])
    option, value = argv[2], argv[3]
    lines = [line.rstrip("\n").split("\t") for line in sys.stdin]
    groups, classes = [int(g) for g, _ in lines], [c for _, c in lines]
    ids = assign(seed, groups, classes, option, value)
    if option == "--kfold":
        names = [f"fold-{j}" for j in range(int(value))]
    else:
        names = [name for name, _ in splitv1.parse_splits(option, value)]
    names += [""]
    print("row,group,class,split")
    for i, (g, c) in enumerate(zip(groups, classes)):
        print(f"{i},{g},{c},{names[ids[i]]}")


if __name__ == "__main__":
    main(sys.argv)
