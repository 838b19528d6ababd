#!/usr/bin/python3
"""splitdata algorithm version 1, standard library only: composite groups
(--group A,B) and content groups (--group-by-content), docs/algorithm.md
section 19.

    python3 groupsv1.py SEED train=0.8,test=0.2 < rows.jsonl

reads one JSON array per line, the values of a row's group columns in the
listed order (null, true/false, integers, floats, NaN, strings), and prints
row,key,split for every row, then the numbers a --group-by-content manifest
records. The functions are what the Go tests' vectors come from.
"""
import hmac
import math
import json
import struct
import sys


def canonical(value):
    """The canonical bytes of one value (sections 7b and 19)."""
    if value is None:
        return b"\x00"
    if isinstance(value, bool):
        return b"\x01" + (b"true" if value else b"false")
    if isinstance(value, int):
        return b"\x01" + str(value).encode()
    if isinstance(value, float):
        if math.isnan(value):
            return b"\x01\x7f\xf8" + bytes(6)  # every NaN alike
        return b"\x01" + struct.pack(">d", value + 0.0)  # -0.0 + 0.0 is 0.0
    return b"\x01" + (value.encode() if isinstance(value, str) else bytes(value))


def group_bytes(values):
    """The bytes of a group of one or several columns' values, in order."""
    if len(values) == 1:
        return canonical(values[0])
    return b"".join(len(c).to_bytes(4, "big") + c for c in map(canonical, values))


def group_key(seed, values):
    """The group key: HMAC-SHA256 keyed with the seed's digits, 8 bytes."""
    mac = hmac.new(str(seed).encode(), group_bytes(values), "sha256")
    return int.from_bytes(mac.digest()[:8], "big")


def split_of(key, ratios):
    """The split id of a group key (section 7): the first split whose
    running ratio sum, times 2**64, exceeds the key."""
    c = 0.0
    for j, r in enumerate(ratios[:-1]):
        c += r
        if c >= 1 or key < math.floor(c * 2**64):
            return j
    return len(ratios) - 1


def content_counts(rows):
    """What a --group-by-content manifest records: the groups, the groups
    of two rows or more, and the rows in those."""
    counts = {}
    for values in rows:
        b = group_bytes(values)
        counts[b] = counts.get(b, 0) + 1
    dup = [c for c in counts.values() if c > 1]
    return len(counts), len(dup), sum(dup)


def main(argv):
    seed = int(argv[1])
    names = [s.split("=")[0] for s in argv[2].split(",")]
    ratios = [float(s.split("=")[1]) for s in argv[2].split(",")]
    rows = [json.loads(line) for line in sys.stdin]
    print("row,key,split")
    for i, values in enumerate(rows):
        key = group_key(seed, values)
        print(f"{i},{key},{names[split_of(key, ratios)]}")
    groups, dup_groups, dup_rows = content_counts(rows)
    print(f"groups={groups} duplicate_groups={dup_groups} rows_with_duplicate={dup_rows}")


if __name__ == "__main__":
    main(sys.argv)
