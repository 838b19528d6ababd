#!/usr/bin/python3
# Generates splitter/testdata/stratify_vectors.json. GENERATED FILE: the
# JSON is the output of this script; never edit it by hand. Regenerate with
#
#     /usr/bin/python3 splitter/testdata/gen_stratify_vectors.py
#
# using Debian's python3-numpy. The output is deterministic. Once committed
# the vectors are frozen: a change to any expected value is a change of
# algorithm version (docs/algorithm.md).
#
# Groups, all computed by stratifyv1.py (the script docs/algorithm.md shows):
#   rounding    controlled_rounding tables, small, tied, huge n, many classes;
#   stratified  whole stratified assignments (split, sample and kfold sizes)
#               for class layouts with a tiny class, a rare null-like class 0
#               and many classes: the per-class sizes, each class's rank
#               boundaries by its own lexsort, and every row's split id;
#   groups      row-balanced grouped assignments from group values, with the
#               group keys of section 7b;
#   bootstrap   sorted bootstrap samples.
import hashlib
import hmac
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import splitv1  # noqa: E402
import stratifyv1  # noqa: E402


def group_key(seed, value):
    """Section 7b: None, or an int, as canonical bytes, keyed HMAC-SHA256."""
    b = b"\x00" if value is None else b"\x01" + str(value).encode()
    return int.from_bytes(hmac.new(str(seed).encode(), b, "sha256").digest()[:8], "big")


def boundaries(seed, classes, table):
    """Per class, the row of class rank cc(j) for every split but the last,
    and for the last if the class has rows in no split; None for rank n_c."""
    classes = np.asarray(classes)
    key = np.random.PCG64(seed).random_raw(len(classes))
    out = []
    for c, sizes in enumerate(table):
        rows = np.flatnonzero(classes == c)
        rows = rows[np.lexsort((rows, key[rows]))]
        bs, total = [], 0
        for j, s in enumerate(sizes):
            total += s
            if j == len(sizes) - 1 and total == len(rows):
                break
            bs.append(None if total == len(rows) else
                      {"key": int(key[rows[total]]), "index": int(rows[total])})
        out.append(bs)
    return out


def rounding_cases(rng):
    cases = []
    for _ in range(40):
        m, k = int(rng.integers(1, 7)), int(rng.integers(1, 6))
        counts = [int(v) for v in rng.integers(0, 15, m)]
        n = sum(counts)
        cuts = sorted(int(v) for v in rng.integers(0, n + 1, k - 1))
        totals = [b - a for a, b in zip([0] + cuts, cuts + [n])]
        cases.append((counts, totals))
    cases.append(([1] * 9, [3, 3, 3]))  # every quota 1/3
    cases.append(([1] * 10, [5, 5]))  # every quota 1/2: all ties
    cases.append(([2**61, 2**61 + 12345, 7, 1], splitv1.sizes(2**62 + 12353, [("a", 0.6), ("b", 0.3), ("c", 0.1)])))
    counts = [int(v) for v in rng.integers(1, 6, 2000)]
    cases.append((counts, splitv1.sizes(sum(counts), [("a", 0.7), ("b", 0.15), ("c", 0.15)])))
    return [{"counts": c, "totals": t, "table": stratifyv1.controlled_rounding(c, t)} for c, t in cases]


def layout(rng, name, n):
    if name == "uniform3":
        return [int(v) for v in rng.integers(0, 3, n)]
    if name == "tiny+null":  # class 0 rare (like null), class 1 a single row
        classes = [int(v) for v in rng.integers(2, 6, n)]
        for i in rng.choice(n, 6, replace=False)[:5]:
            classes[int(i)] = 0
        classes[int(rng.integers(0, n))] = 1
        return classes
    if name == "many":  # about 1000 classes of about 3 rows
        return [int(v) for v in rng.integers(0, n // 3, n)]
    return [int(v) for v in rng.integers(0, 5, n)]


def stratified_cases(rng):
    out = []
    specs = [
        ("42", 1000, "uniform3", "--ratios", "train=0.8,test=0.2"),
        ("7", 2500, "tiny+null", "--ratios", "a=0.6,b=0.2,c=0.2"),
        ("123", 3000, "many", "--ratios", "train=0.7,valid=0.15,test=0.15"),
        (str(2**100 + 3), 2000, "five", "--sizes", "x=300,y=200"),
        ("9", 1500, "five", "--sizes", "sample=100"),
        ("11", 997, "uniform3", "--kfold", "5"),
        ("13", 20, "tiny+null", "--ratios", "a=0.5,b=0.5"),
    ]
    for seed_text, n, lay, option, value in specs:
        seed = splitv1.seed_value(seed_text)
        classes = layout(rng, lay, n)
        m = max(classes) + 1
        counts = [classes.count(c) for c in range(m)]
        if option == "--kfold":
            table = stratifyv1.kfold_sizes(counts, int(value))
        else:
            table = stratifyv1.stratified_sizes(counts, splitv1.parse_splits(option, value))
        ids = stratifyv1.stratified_assign(seed, classes, table)
        out.append({"seed": str(seed), "n": n, "layout": lay, "option": option, "value": value,
                    "classes": classes, "sizes": table, "boundaries": boundaries(seed, classes, table),
                    "ids_hex": bytes(int(i) for i in ids).hex()})
    return out


def group_cases(rng):
    out = []
    specs = [
        ("42", 2000, 150, "--ratios", "train=0.8,test=0.2"),
        ("5", 3000, 40, "--ratios", "a=0.5,b=0.3,c=0.2"),
        ("77", 1000, 400, "--sizes", "a=500,b=300"),
        ("3", 50, 3, "--ratios", "a=0.4,b=0.3,c=0.3"),
    ]
    for seed_text, n, groups, option, value in specs:
        seed = splitv1.seed_value(seed_text)
        # group sizes vary: small ids are frequent; -1 stands for null
        values = [int(v) for v in np.minimum(rng.zipf(1.5, n), groups) - 2]
        values = [None if v == -1 else v for v in values]
        keys = [group_key(seed, v) for v in values]
        ids = stratifyv1.row_balanced_assign(keys, splitv1.parse_splits(option, value))
        out.append({"seed": str(seed), "n": n, "option": option, "value": value, "values": values,
                    "keys_sha256": hashlib.sha256(np.array(keys, dtype=">u8").tobytes()).hexdigest(),
                    "ids_hex": bytes(int(i) for i in ids).hex()})
    return out


def bootstrap_cases():
    specs = [(42, 10, 20), (5, 1000, 1000), (1, 2**40, 50), (2, 2**32 - 1, 40),
             (3, 2**32, 40), (4, 2**32 + 1, 40), (6, 1, 5), (8, 7, 0), (2**80 + 1, 3, 33)]
    return [{"seed": str(s), "n": n, "k": k, "sample": [int(v) for v in stratifyv1.bootstrap(s, n, k)]}
            for s, n, k in specs]


def main():
    rng = np.random.default_rng(20260501)
    doc = {
        "numpy_version": np.__version__,
        "rounding": rounding_cases(rng),
        "stratified": stratified_cases(rng),
        "groups": group_cases(rng),
        "bootstrap": bootstrap_cases(),
    }
    parts = []
    for name, value in doc.items():
        if isinstance(value, list):
            lines = ",\n  ".join(json.dumps(v, sort_keys=True, separators=(",", ":")) for v in value)
            parts.append(f" {json.dumps(name)}: [\n  {lines}\n ]")
        else:
            parts.append(f" {json.dumps(name)}: {json.dumps(value)}")
    text = "{\n" + ",\n".join(parts) + "\n}\n"
    if "--stdout" in sys.argv:
        sys.stdout.write(text)
        return
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "stratify_vectors.json"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
