#!/usr/bin/python3
"""The number of rows splitdata puts in each split, computed in Python.

    python3 docs/sizes.py N --ratios train=0.8,valid=0.1,test=0.1
    python3 docs/sizes.py N --test-size 0.2        (or a row count: 2000)
    python3 docs/sizes.py N --sizes train=8000,test=2000
    python3 docs/sizes.py N --k 5                  (kfold's folds)

prints one line per split, "name rows", exactly the splits[].rows of the
manifest that `splitdata split` (or `kfold`) writes for an input of N rows,
for algorithm version 1 (docs/algorithm.md, sections 5 and 8). Copy the
functions into your own code: they need only the standard library.

    >>> split_sizes(100003, ratios=[0.75, 0.25])
    [75002, 25001]
    >>> split_sizes(10, ratios=[0.8, 0.1, 0.1])
    [8, 1, 1]
    >>> split_sizes(1, ratios=[0.5, 0.3, 0.2])
    [1, 0, 0]
    >>> split_sizes(10, test_size=0.25)
    [7, 3]
    >>> split_sizes(10, test_size=4)
    [6, 4]
    >>> kfold_sizes(11, 3)
    [4, 4, 3]
"""
import math
import sys


def split_sizes(n, ratios=None, sizes=None, test_size=None):
    """Rows per split, in listed order, for n input rows.

    Give exactly one of:
      ratios     floats summing to 1, as parsed from --ratios (float(text));
      sizes      row counts, as --sizes; rows beyond their sum are in no split;
      test_size  a float in (0, 1) or an int, as --test-size: [train, test].

    Two ratios: the last split gets ceil(n * p), as scikit-learn's
    train_test_split(test_size=p) sizes its test set; the first the rest.
    One or three and more: largest remainder, ties to the earlier split.
    """
    if sum(x is not None for x in (ratios, sizes, test_size)) != 1:
        raise ValueError("give exactly one of ratios, sizes and test_size")
    if test_size is not None:
        if isinstance(test_size, int):
            if test_size > n:
                raise ValueError(f"test_size {test_size} is more than the {n} rows")
            return [n - test_size, test_size]
        ratios = [1 - test_size, test_size]  # float64, as splitdata computes it
    if sizes is not None:
        if sum(sizes) > n:
            raise ValueError(f"the sizes ask for {sum(sizes)} rows but there are {n}")
        return list(sizes)
    if len(ratios) == 2:
        last = min(math.ceil(n * ratios[1]), n)
        return [n - last, last]
    return _largest_remainder(n, ratios)


def _largest_remainder(n, ratios):
    # n * r is the float64 product (Python converts n to the nearest float,
    # as splitdata does); floor and the fraction are exact on it.
    products = [n * r for r in ratios]
    floors = [min(math.floor(p), n) for p in products]
    fractions = [p - math.floor(p) for p in products]
    # Decreasing fractional part; sorted() is stable, so ties keep the
    # earlier-listed split first.
    order = sorted(range(len(ratios)), key=lambda j: -fractions[j])
    left = n - sum(floors)
    k = len(ratios)
    if left >= 0:
        # Deal the left-over rows round the order, as many rounds as needed.
        for t, j in enumerate(order):
            floors[j] += left // k + (1 if t < left % k else 0)
        return floors
    # Ratios summing to a little over 1 (huge n): take rows back one at a
    # time, round the reverse order, skipping empty splits.
    back = order[::-1]
    while left < 0:
        live = [j for j in back if floors[j] > 0]
        rounds = min(-left // len(live), min(floors[j] for j in live))
        if rounds > 0:
            for j in live:
                floors[j] -= rounds
            left += rounds * len(live)
            continue
        for j in live[:-left]:
            floors[j] -= 1
        left = 0
    return floors


def kfold_sizes(n, k):
    """Rows per fold of `splitdata kfold --k K`: scikit-learn KFold's test
    folds, the first n % k folds one row larger."""
    return [n // k + (1 if j < n % k else 0) for j in range(k)]


def _parse(option, value):
    """(names, keyword arguments of split_sizes) for a command-line option."""
    if option == "--test-size":
        v = value.strip()
        return ["train", "test"], {"test_size": int(v) if v.isdigit() else float(v)}
    pairs = [item.split("=", 1) for item in value.split(",")]
    names = [name.strip() for name, _ in pairs]
    if option == "--sizes":
        return names, {"sizes": [int(v) for _, v in pairs]}
    if option == "--ratios":
        return names, {"ratios": [float(v) for _, v in pairs]}
    raise ValueError(f"unknown option {option}")


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    n = int(argv[1])
    if argv[2] == "--k":
        k = int(argv[3])
        names, rows = [f"fold-{j}" for j in range(k)], kfold_sizes(n, k)
    else:
        names, kwargs = _parse(argv[2], argv[3])
        rows = split_sizes(n, **kwargs)
    for name, r in zip(names, rows):
        print(name, r)


if __name__ == "__main__":
    main(sys.argv)
