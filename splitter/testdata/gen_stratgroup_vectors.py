#!/usr/bin/python3
# Generates splitter/testdata/stratgroup_vectors.json. GENERATED FILE: the
# JSON is the output of this script; never edit it by hand. Regenerate with
#
#     /usr/bin/python3 splitter/testdata/gen_stratgroup_vectors.py
#
# using Debian's python3-numpy and python3-sklearn (1.2). The output is
# deterministic. Once committed the vectors are frozen: a change to any of
# splitdata's expected values is a change of algorithm version
# (docs/algorithm.md); scikit-learn's figures are a reference only.
#
# Each case names a dataset of "datasets" (every row's integer group and
# class label), a split option (--ratios, --sizes or --kfold) and a seed:
#   ids_hex     every row's split id under splitdata's rule (section 17),
#               computed by stratgroupv1.py, the script the docs show;
#   ours        the class-share errors of splitdata's splits, averaged over
#               the seeds 1..SEEDS (so that one lucky seed proves nothing);
#   sklearn     the same errors of StratifiedGroupKFold(shuffle=True) over
#               random_state 0..SEEDS-1 (for a two-way split: fold 0 of
#               K = round(1/test share) folds as the test split, the usual
#               recipe), and its shuffle=False split.
# The errors (see errors()): "share_max", the largest difference, over
# splits and classes, between a class's share of a split's rows and its
# share of all rows; "share_mean", the mean of those differences; and, for
# k-fold, "sklearn_objective", the mean over classes of the standard
# deviation over folds of the fraction of the class in the fold, the
# quantity StratifiedGroupKFold minimises.
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.model_selection import StratifiedGroupKFold

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import splitv1  # noqa: E402
import stratgroupv1  # noqa: E402

SEEDS = 10
LABELS = ["neg", "pos", "unsure", "spam"]


def dataset(rng, name):
    """(groups, classes) of a named layout."""
    if name == "mixed":  # like `splitdata gen`: labels per row, ~20 rows a user
        n = 4000
        groups = [int(g) for g in rng.integers(0, n // 20, n)]
        classes = [LABELS[int(np.searchsorted([70, 90, 98], p, side="right"))] for p in rng.integers(0, 100, n)]
        return groups, classes
    if name == "pure":  # one class per group, group sizes 1..40
        groups, classes = [], []
        for g in range(300):
            label = LABELS[int(np.searchsorted([50, 80, 95], rng.integers(0, 100), side="right"))]
            for _ in range(int(rng.integers(1, 41))):
                groups.append(g)
                classes.append(label)
        order = rng.permutation(len(groups))
        return [groups[i] for i in order], [classes[i] for i in order]
    if name == "zipf":  # heavy-tailed group sizes, each group mostly one class
        n = 3000
        groups = [int(g) for g in np.minimum(rng.zipf(1.6, n), 500)]
        lean = {g: int(rng.integers(0, 3)) for g in set(groups)}
        classes = [LABELS[lean[g] if rng.random() < 0.8 else int(rng.integers(0, 3))] for g in groups]
        return groups, classes
    if name == "rare":  # a rare class (1% of groups), 2 to 8 rows a group
        groups, classes = [], []
        for g in range(800):
            label = "spam" if rng.random() < 0.01 else LABELS[int(rng.integers(0, 2))]
            for _ in range(int(rng.integers(2, 9))):
                groups.append(g)
                classes.append(label if rng.random() < 0.9 else LABELS[int(rng.integers(0, 2))])
        return groups, classes
    raise ValueError(name)


def errors(classes, ids, splits):
    """Class-share errors of an assignment (ids: split per row; rows with
    id >= splits are in no split and not counted)."""
    names = sorted(set(classes))
    cls = np.array([names.index(c) for c in classes])
    ids = np.asarray(ids)
    m, n = len(names), len(classes)
    overall = np.bincount(cls, minlength=m) / n
    x = np.zeros((splits, m))
    for j in range(splits):
        x[j] = np.bincount(cls[ids == j], minlength=m)
    diffs = [abs(x[j, c] / x[j].sum() - overall[c]) for j in range(splits) if x[j].sum() > 0 for c in range(m)]
    out = {"share_max": float(max(diffs)), "share_mean": float(np.mean(diffs))}
    totals = np.bincount(cls, minlength=m)
    out["sklearn_objective"] = float(np.mean(np.std(x / totals.reshape(1, -1), axis=0)))
    return out


def mean_errors(runs):
    return {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}


def sklearn_ids(groups, classes, option, value, shuffle, state):
    """Every row's split under StratifiedGroupKFold: the fold for --kfold;
    for a two-way split, 1 (test) for fold 0 of round(1/test share) folds."""
    if option == "--kfold":
        k = int(value)
    else:
        k = round(1 / splitv1.parse_splits(option, value)[-1][1])
    cv = StratifiedGroupKFold(n_splits=k, shuffle=shuffle, random_state=state if shuffle else None)
    ids = np.zeros(len(groups), dtype=np.int64)
    for j, (_, test) in enumerate(cv.split(np.zeros(len(groups)), classes, groups)):
        ids[test] = j
    if option != "--kfold":
        ids = (ids == 0).astype(np.int64)  # fold 0 is the test split, the last listed
    return ids


def main():
    rng = np.random.default_rng(20261206)
    specs = [
        ("mixed", "--kfold", "5"),
        ("pure", "--kfold", "5"),
        ("zipf", "--kfold", "3"),
        ("rare", "--kfold", "5"),
        ("mixed", "--ratios", "train=0.8,test=0.2"),
        ("pure", "--ratios", "train=0.75,test=0.25"),
        ("rare", "--ratios", "train=0.8,test=0.2"),
        ("zipf", "--sizes", "a=1000,b=500"),
    ]
    cases = []
    data = {}
    for name, option, value in specs:
        if name not in data:
            data[name] = dataset(rng, name)
        groups, classes = data[name]
        splits = int(value) if option == "--kfold" else len(value.split(","))
        ours = [errors(classes, stratgroupv1.assign(s, groups, classes, option, value), splits)
                for s in range(1, SEEDS + 1)]
        case = {"data": name, "option": option, "value": value, "seed": "1", "ids_hex": bytes(stratgroupv1.assign(1, groups, classes, option, value)).hex(),
                "ours": mean_errors(ours)}
        if option != "--sizes":  # scikit-learn has no counts
            runs = [errors(classes, sklearn_ids(groups, classes, option, value, True, s), splits)
                    for s in range(SEEDS)]
            case["sklearn"] = mean_errors(runs)
            case["sklearn_no_shuffle"] = errors(classes, sklearn_ids(groups, classes, option, value, False, None), splits)
        cases.append(case)
    doc = {"numpy_version": np.__version__, "sklearn_version": sklearn.__version__, "seeds": SEEDS}
    head = ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in doc.items())
    head += ",\n \"datasets\": {\n  " + ",\n  ".join(
        f"{json.dumps(name)}: " + json.dumps({"groups": g, "classes": c}, separators=(",", ":"))
        for name, (g, c) in data.items()) + "\n }"
    lines = ",\n  ".join(json.dumps(c, sort_keys=True, separators=(",", ":")) for c in cases)
    text = "{\n" + head + ",\n \"cases\": [\n  " + lines + "\n ]\n}\n"
    if "--stdout" in sys.argv:
        sys.stdout.write(text)
        return
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "stratgroup_vectors.json"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
