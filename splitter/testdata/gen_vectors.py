#!/usr/bin/python3
# Generates splitter/testdata/vectors.json. GENERATED FILE: the JSON is the
# output of this script; never edit it by hand. Regenerate with
#
#     /usr/bin/python3 splitter/testdata/gen_vectors.py
#
# using Debian's python3-numpy and python3-sklearn; it rewrites vectors.json
# beside this script, or prints to stdout with --stdout. The output is
# deterministic. Once committed the vectors are frozen: a change to any
# expected value is a change of algorithm version (docs/algorithm.md).
#
# Four groups:
#   seeds        the master seed splitv1.seed_value makes of --seed texts;
#   sklearn      the train and test sizes scikit-learn's train_test_split
#                gives for n rows and a test_size (fraction or count), with
#                train_size unset or a count;
#   ratio_sizes  the exact sizes of ratio lists of three or more splits, from
#                splitv1.sizes (largest remainder), for small and huge n;
#   assign       for a few (seed, n, options), the whole assignment computed
#                with NumPy by splitv1.assign, the script printed in
#                docs/algorithm.md: sizes, the rank boundaries (the row of
#                rank c(j) in canonical order, by its own lexsort), the count
#                of rows per split id, and the ids themselves (hex, one byte a
#                row, for small n; always their SHA-256).
import hashlib
import json
import math
import os
import sys

import numpy as np
import sklearn
from sklearn.model_selection import train_test_split
from sklearn.model_selection._split import _validate_shuffle_split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import splitv1  # noqa: E402  (the reference printed in docs/algorithm.md)

FRACTIONS = [
    "0.5", "0.25", "0.2", "0.1", "0.3", "0.15", "0.33", "0.7", "0.75", "0.8",
    "0.9", "0.95", "0.05", "0.01", "0.001", "0.999", "0.35", "0.45", "0.55",
    "0.65", "0.85", "0.123456789", "1e-05", repr(1 / 3), repr(2 / 3), "0.07",
]
SMALL_N = list(range(1, 41)) + [49, 50, 51, 97, 99, 100, 101, 199, 333, 997,
                                 1000, 1001, 4096, 9999, 10007, 65537, 100003]
BIG_N = [999_999, 1_000_000, 2**20 + 1, 12_345_678, 10**9 + 7, 2**31 - 1,
         2**32 + 15, 10**12 + 39, 2**53 - 1, 2**53 + 1, 2**60 + 3, 2**63 - 1]
COUNTS = [1, 2, 3, 7, 100, 1000, 25001]


def sklearn_sizes(n, test_size, train_size=None):
    """(train, test) rows of train_test_split, or None if it refuses."""
    try:
        want = _validate_shuffle_split(n, test_size, train_size, default_test_size=0.25)
    except ValueError:
        return None
    if n <= 100_003:  # the public API agrees on sizes we can afford to build
        train, test = train_test_split(np.zeros((n, 0)), test_size=test_size,
                                       train_size=train_size, shuffle=False)
        assert (len(train), len(test)) == want, (n, test_size, train_size)
    return [int(want[0]), int(want[1])]


def sklearn_group():
    out = []
    for n in SMALL_N + BIG_N:
        for p in FRACTIONS:
            got = sklearn_sizes(n, float(p))
            if got:
                out.append({"n": n, "test_size": p, "sizes": got})
        for c in COUNTS:
            # An integer test_size makes scikit-learn compute the train size
            # as n - float(test_size), which loses rows above 2^53; our
            # counts are exact integers, so compare only where it is exact.
            if n > 2**53:
                continue
            got = sklearn_sizes(n, c)
            if got:
                out.append({"n": n, "test_size": str(c), "sizes": got})
            got = sklearn_sizes(n, c, train_size=2 * c)
            if got:
                out.append({"n": n, "test_size": str(c), "train_size": str(2 * c), "sizes": got})
    return out


RATIO_LISTS = [
    "all=1",
    "a=0.5,b=0.3,c=0.2",
    "train=0.8,valid=0.1,test=0.1",
    "train=0.7,valid=0.15,test=0.15",
    "a=0.1,b=0.2,c=0.3,d=0.4",
    "a=0.25,b=0.25,c=0.25,d=0.25",
    "a=0.2,b=0.2,c=0.2,d=0.2,e=0.2",
    ",".join(f"s{j}=0.1" for j in range(10)),
    ",".join(f"s{j}={1 / 7!r}" for j in range(7)),
    ",".join(f"s{j}={1 / 3!r}" for j in range(3)),
    "a=0.5,b=0.3,c=0.2000000005",   # sums to 1 + 5e-10: rows are taken back
    "a=0.5,b=0.3,c=0.1999999995",   # sums to 1 - 5e-10: several dealing rounds
    "a=0.9999999995,b=0.0000000005,c=0.0000000005",
    "x=0.001,y=0.998,z=0.001",
]
RATIO_N = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 13, 99, 100, 101, 1000, 10007,
           100003, 10**9 + 7, 10**12, 10**12 + 39, 2**53 - 1, 2**53 + 1, 10**13 + 1]


def ratio_sizes_group():
    out = []
    for spec in RATIO_LISTS:
        splits = splitv1.parse_splits("--ratios", spec)
        for n in RATIO_N:
            got = splitv1.sizes(n, splits)
            assert sum(got) == n and min(got) >= 0, (spec, n, got)
            out.append({"ratios": spec, "n": n, "sizes": got})
    return out


ASSIGN = [
    # (seed text, n, option, value, approx)
    ("42", 0, "--ratios", "train=0.8,test=0.2", False),
    ("42", 1, "--ratios", "train=0.8,test=0.2", False),
    ("42", 2, "--ratios", "train=0.5,test=0.5", False),
    ("42", 10, "--ratios", "train=0.8,test=0.2", False),
    ("42", 3, "--ratios", "a=0.5,b=0.3,c=0.2", False),
    ("0", 1000, "--ratios", "train=0.8,test=0.2", False),
    ("42", 1000, "--ratios", "train=0.7,valid=0.2,test=0.1", False),
    ("1", 997, "--sizes", "train=600,test=200", False),
    ("7", 2048, "--sizes", "a=100,b=1000,c=1,d=900", False),
    ("hello world", 1500, "--test-size", "0.25", False),
    ("splitdata", 1234, "--test-size", "17", False),
    ("18446744073709551617", 999, "--ratios", "all=1", False),
    ("340282366920938463463374607431768211457", 4000,
     "--ratios", ",".join(f"s{j}=0.1" for j in range(10)), False),
    ("42", 100003, "--ratios", "train=0.75,test=0.25", False),
    ("2024", 1_500_000, "--ratios", "train=0.7,valid=0.15,test=0.15", False),
    ("3", 2_100_000, "--sizes", "a=1000000,b=1000000", False),
    ("42", 1000, "--ratios", "train=0.8,test=0.2", True),
    ("9", 3000, "--ratios", "a=0.5,b=0.3,c=0.2", True),
    ("text seed", 2500, "--ratios", ",".join(f"s{j}=0.1" for j in range(10)), True),
    ("5", 1000, "--ratios", "a=0.6,b=0.4000000005", True),
    ("5", 1000, "--ratios", "a=0.6,b=0.3999999995", True),
    ("11", 200_000, "--test-size", "0.1", True),
]
HEX_LIMIT = 4096


def assign_group():
    out = []
    for seed_text, n, option, value, approx in ASSIGN:
        seed = splitv1.seed_value(seed_text)
        splits = splitv1.parse_splits(option, value)
        key, ids = splitv1.assign(seed, n, splits, approx=approx)
        ids = ids.astype(np.uint8)
        v = {"seed": seed_text, "n": n, "option": option, "value": value,
             "approx": approx}
        if not approx:
            size = splitv1.sizes(n, splits)
            v["sizes"] = size
            # Boundaries: ranks c(j) for every split but the last, and for
            # the last if the sizes leave rows over; null for rank n.
            ends = list(np.cumsum(size)) if size else []
            ranks = ends[:-1] + ([ends[-1]] if ends[-1] < n else [])
            order = np.lexsort((np.arange(n), key))
            v["boundaries"] = [
                {"key": int(key[order[r]]), "index": int(order[r])} if r < n else None
                for r in ranks]
            # Cross-check the ids against the boundaries directly.
            for j, r in enumerate(ranks):
                if r < n:
                    b = (int(key[order[r]]), int(order[r]))
                    before = (key < np.uint64(b[0])) | ((key == np.uint64(b[0])) & (np.arange(n) < b[1]))
                    assert ((ids <= j) == before).all(), (seed_text, n, value, j)
        v["counts"] = [int(c) for c in np.bincount(ids, minlength=len(splits) + 1)]
        if n <= HEX_LIMIT:
            v["ids_hex"] = ids.tobytes().hex()
        v["ids_sha256"] = hashlib.sha256(ids.tobytes()).hexdigest()
        v["first_keys"] = [int(k) for k in key[:4]]
        out.append(v)
    return out


def dump(doc):
    """JSON with one line per vector, keys sorted."""
    parts = []
    for name in sorted(doc):
        value = doc[name]
        if isinstance(value, list):
            lines = ",\n  ".join(json.dumps(v, sort_keys=True, separators=(",", ":")) for v in value)
            parts.append(f" {json.dumps(name)}: [\n  {lines}\n ]")
        else:
            parts.append(f" {json.dumps(name)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


SEED_TEXTS = ["0", "7", "007", "42", "18446744073709551617", "2" * 60, "abc",
              "hello world", "-1", "+5", " 42", "42 ", "4.2", "1_000", "0x2a",
              "\u0661\u0662", "h\u00e9llo", "\U0001f600", "seed\x00nul", "splitdata",
              "text seed"]


def seeds_group():
    return [{"text": t, "seed": str(splitv1.seed_value(t))} for t in SEED_TEXTS]


def main():
    doc = {
        "seeds": seeds_group(),
        "numpy_version": np.__version__,
        "sklearn_version": sklearn.__version__,
        "sklearn": sklearn_group(),
        "ratio_sizes": ratio_sizes_group(),
        "assign": assign_group(),
    }
    text = dump(doc)
    if "--stdout" in sys.argv[1:]:
        sys.stdout.write(text)
        return
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors.json")
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
