#!/usr/bin/python3
# Generates splitter/testdata/timeseries_vectors.json. GENERATED FILE: the
# JSON is the output of this script; never edit it by hand. Regenerate with
#
#     /usr/bin/python3 splitter/testdata/gen_timeseries_vectors.py
#
# using Debian's python3-sklearn 1.2 and python3-numpy. The output is
# deterministic. Once committed the vectors are frozen: a change to any
# expected value is a change of algorithm version (docs/algorithm.md).
#
# Groups:
#   timeseries  scikit-learn's TimeSeriesSplit(n_splits, gap, max_train_size,
#               test_size) over n rows: every fold's train and test index
#               ranges, or that scikit-learn refuses the options;
#   traintest   train_test_split(range(n), train_size, test_size,
#               shuffle=False): the train and test rows, or a refusal;
#   order       the split of every row of a split ordered by a column
#               (docs/algorithm.md section 18), by orderv1.order_ids, the
#               reference of the rule: values with ties, -0.0, NaN, +-Inf
#               and nulls, first or last.
# The script also checks that orderv1.py's own TimeSeriesSplit and
# train_test_split sizes (the rules docs/algorithm.md shows) agree with
# scikit-learn's on every case.
import json
import math
import os
import sys

import numpy as np
import sklearn
from sklearn.model_selection import TimeSeriesSplit, train_test_split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from orderv1 import order_ids, timeseries_folds, train_test_sizes  # noqa: E402


def ranges(idx):
    """[start, end) of a run of consecutive indices (empty: [0, 0])."""
    idx = [int(i) for i in idx]
    if not idx:
        return [0, 0]
    assert idx == list(range(idx[0], idx[-1] + 1)), idx
    return [idx[0], idx[-1] + 1]


def timeseries_case(n, k, gap=0, max_train_size=None, test_size=None):
    case = {"n": n, "k": k, "gap": gap, "max_train_size": max_train_size or 0,
            "test_size": test_size or 0}
    ts = TimeSeriesSplit(n_splits=k, gap=gap, max_train_size=max_train_size, test_size=test_size)
    try:
        folds = []
        for train, test in ts.split(np.zeros((n, 1))):
            folds.append(ranges(train) + ranges(test))
        case["folds"] = folds
    except ValueError as e:
        case["error"] = str(e)
    try:
        mine = [list(f) for f in timeseries_folds(n, k, gap, max_train_size or 0, test_size or 0)]
    except ValueError:
        mine = None
    assert mine == case.get("folds"), (case, mine)
    return case


def traintest_case(n, train_size=None, test_size=None):
    case = {"n": n, "train_size": "" if train_size is None else str(train_size),
            "test_size": "" if test_size is None else str(test_size)}
    try:
        train, test = train_test_split(np.arange(n), train_size=train_size, test_size=test_size, shuffle=False)
        case["train"], case["test"] = ranges(train), ranges(test)
        got = train_test_sizes(n, train_size, test_size)
        assert got == (len(train), len(test)), (case, got)
    except ValueError as e:
        case["error"] = str(e)
    return case


def encode(v):
    """A value for JSON: ints as they are, floats as repr strings (nan, inf)."""
    if v is None or isinstance(v, int):
        return v
    return repr(v)


def order_case(rng, kind, n, nulls):
    pool = {
        "int": [int(x) for x in rng.integers(-5, 5, 10)] + [-(2**53), 2**53],
        "float": [float(x) for x in rng.normal(size=6)] + [0.0, -0.0, math.nan, math.inf, -math.inf, 1.5, 1.5],
    }[kind] + [None]
    values = [pool[int(rng.integers(len(pool)))] for _ in range(n)]
    cuts = sorted(int(x) for x in rng.integers(0, n + 1, int(rng.integers(1, 4))))
    sizes = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    if rng.integers(2) == 0:
        sizes = sizes[:-1]  # the last rows in no split
    return {"kind": kind, "nulls": nulls, "values": [encode(v) for v in values],
            "sizes": sizes, "ids": order_ids(values, sizes, nulls)}


def main():
    if not sklearn.__version__.startswith("1.2"):
        sys.exit(f"want scikit-learn 1.2, have {sklearn.__version__}")
    timeseries = []
    for n in [2, 3, 5, 6, 7, 10, 11, 12, 23, 100, 101, 1000, 12345]:
        for k in [2, 3, 4, 5, 9]:
            timeseries.append(timeseries_case(n, k))
            timeseries.append(timeseries_case(n, k, gap=2))
            timeseries.append(timeseries_case(n, k, max_train_size=3))
            timeseries.append(timeseries_case(n, k, gap=1, max_train_size=n // 3 or 1))
            timeseries.append(timeseries_case(n, k, test_size=2))
            timeseries.append(timeseries_case(n, k, gap=3, max_train_size=5, test_size=n // 10 or 1))
    timeseries.append(timeseries_case(10, 2, gap=100))
    timeseries.append(timeseries_case(10, 3, test_size=4))
    traintest = []
    for n in [1, 2, 3, 7, 10, 11, 100, 1001]:
        for train, test in [(None, 0.25), (0.7, None), (0.7, 0.2), (0.5, 0.5), (0.6, 0.5), (3, None),
                            (None, 3), (2, 1), (0.3, 2), (2, 0.3), (0.999, None), (None, 0.001), (0.1, None)]:
            traintest.append(traintest_case(n, train, test))
    rng = np.random.default_rng(2026)
    order = []
    for kind in ["int", "float"]:
        for nulls in ["first", "last"]:
            for n in [0, 1, 2, 5, 17, 60, 300]:
                order.append(order_case(rng, kind, n, nulls))
    out = {"sklearn": sklearn.__version__, "numpy": np.__version__,
           "timeseries": timeseries, "traintest": traintest, "order": order}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
