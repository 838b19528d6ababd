#!/usr/bin/python3
# Generates prng/testdata/compat_vectors.json from NumPy's legacy RandomState,
# CPython's random module and PyTorch's CPU generator. GENERATED FILE: the
# JSON is the output of this script; never edit it by hand, and never move an
# expected value to make a test pass. Regenerate with
#
#     /usr/bin/python3 prng/testdata/gen_compat_vectors.py
#
# using Debian's python3 (3.11), python3-numpy and python3-torch; it rewrites
# compat_vectors.json beside this script, or prints to stdout with --stdout.
# The output is deterministic: every seed is fixed and keys are sorted.
#
# Layout. Each generator has a list of cases, one per seed. A case holds raw
# draws at chosen positions (to cover the regeneration of the 624-word state),
# a "tape" of operations applied in order to one generator with their results,
# the state after the tape, and permutations of n in PERM_NS drawn from a
# fresh generator. Integers that may exceed 2^53 are decimal strings. A
# permutation is stored whole up to 1000 elements; above that as the sha256
# of its elements as little-endian int64 and its first 20 values.
import hashlib
import json
import os
import random
import struct
import sys

import numpy as np
import torch

PERM_NS = [1, 2, 10, 1000, 100003]
RAW_AT = [(0, 8), (620, 12), (1244, 8)]  # (first index, count) of raw draws
RAW_TOTAL = max(a + c for a, c in RAW_AT)
BIG = 1000  # permutations longer than this are stored as sha256 + head


def perm_entry(n, values):
    values = [int(v) for v in values]
    assert sorted(values) == list(range(n))
    e = {"n": n}
    if n <= BIG:
        e["values"] = values
    else:
        e["sha256"] = hashlib.sha256(struct.pack("<%dq" % n, *values)).hexdigest()
        e["head"] = values[:20]
    return e


def raw_windows(draws):
    return [{"at": a, "values": [int(v) for v in draws[a:a + c]]} for a, c in RAW_AT]


def key_sha256(words):
    return hashlib.sha256(struct.pack("<%dI" % len(words), *[int(w) for w in words])).hexdigest()


# ---------------------------------------------------------------- NumPy legacy

def rs_state(rs):
    """RandomState.get_state(legacy=False) as JSON-ready data; this dict,
    after json.loads, is accepted by RandomState.set_state."""
    st = rs.get_state(legacy=False)
    return {
        "bit_generator": st["bit_generator"],
        "state": {"key": [int(k) for k in st["state"]["key"]], "pos": int(st["state"]["pos"])},
        "has_gauss": int(st["has_gauss"]),
        "gauss": float(st["gauss"]),
    }


def rs_state_digest(rs):
    st = rs_state(rs)
    return {
        "key_sha256": key_sha256(st["state"]["key"]),
        "pos": st["state"]["pos"],
        "has_gauss": st["has_gauss"],
        "gauss": st["gauss"],
    }


RANDINT_RANGES = [
    (0, 1), (0, 2), (0, 3), (0, 10), (-5, 5), (0, 1000), (0, 2**31), (10, 2**32 + 10),
    (0, 2**32 + 1), (-2**40, 2**40), (0, 2**62 + 12345), (-2**63, 2**63 - 1),
]
TRIANGULAR = [(0.0, 0.5, 1.0), (-3.0, -3.0, 2.0), (1.0, 4.0, 4.0), (0.0, 0.1, 10.0)]


def randomstate_case(name, seed):
    out = {"name": name}
    if isinstance(seed, list):
        out["seed_array"] = seed
    else:
        out["seed"] = seed
    out["raw"] = raw_windows(np.random.RandomState(seed)._bit_generator.random_raw(RAW_TOTAL))
    rs = np.random.RandomState(seed)
    tape = []
    tape.append({"op": "rand", "result": [float(v) for v in rs.random_sample(7)]})
    for lo, hi in RANDINT_RANGES:
        vals = [int(rs.randint(lo, hi, dtype=np.int64)) for _ in range(6)]
        tape.append({"op": "randint", "low": str(lo), "high": str(hi), "result": [str(v) for v in vals]})
    # Arrays of 20 draws in one call: the same draws as 20 single calls.
    vals = rs.randint(0, 7, size=20, dtype=np.int64)
    tape.append({"op": "randint", "low": "0", "high": "7", "result": [str(int(v)) for v in vals]})
    tape.append({"op": "standard_exponential", "result": [float(v) for v in rs.standard_exponential(200)]})
    for left, mode, right in TRIANGULAR:
        tape.append({"op": "triangular", "args": [left, mode, right],
                     "result": [float(rs.triangular(left, mode, right)) for _ in range(5)]})
    x = list(range(20))
    rs.shuffle(x)  # a list: the element-wise swap path
    tape.append({"op": "shuffle", "n": 20, "result": x})
    arr = np.arange(33)
    rs.shuffle(arr)  # an ndarray: the buffer path
    tape.append({"op": "shuffle", "n": 33, "result": [int(v) for v in arr]})
    tape.append({"op": "permutation", "n": 12, "result": [int(v) for v in rs.permutation(12)]})
    # standard_normal caches its second value: the state below has has_gauss = 1.
    tape.append({"op": "standard_normal", "result": [float(v) for v in rs.standard_normal(5)]})
    out["tape"] = tape
    out["state_after_tape"] = rs_state_digest(rs)
    out["permutations"] = [perm_entry(n, np.random.RandomState(seed).permutation(n)) for n in PERM_NS]
    return out


def randomstate_set_state():
    """A state with has_gauss = 1 and pos mid-key, exported whole, and the
    draws that follow restoring it."""
    rs = np.random.RandomState(42)
    rs.random_sample(100)
    rs.standard_normal()
    st = rs_state(rs)
    rs2 = np.random.RandomState(0)
    rs2.set_state(json.loads(json.dumps(st)))
    after = {
        "standard_normal": [float(v) for v in rs2.standard_normal(3)],
        "rand": [float(v) for v in rs2.random_sample(3)],
    }
    return {"state": st, "after": after}


# ---------------------------------------------------------------- Python random

def py_state(r):
    version, internal, gauss = r.getstate()
    return {"version": version, "internalstate": list(internal), "gauss_next": gauss}


def py_state_digest(r):
    st = py_state(r)
    return {
        "key_sha256": key_sha256(st["internalstate"][:624]),
        "index": st["internalstate"][624],
        "gauss_next": st["gauss_next"],
    }


def pyrandom_case(name, seed):
    out = {"name": name, "seed": seed if isinstance(seed, str) else str(seed),
           "seed_kind": "str" if isinstance(seed, str) else "int"}
    r = random.Random(seed)
    out["raw"] = raw_windows([r.getrandbits(32) for _ in range(RAW_TOTAL)])
    r = random.Random(seed)
    tape = []
    tape.append({"op": "random", "result": [r.random() for _ in range(5)]})
    for k in (0, 1, 5, 31, 32, 33, 64, 100, 200):
        tape.append({"op": "getrandbits", "k": k, "result": str(r.getrandbits(k))})
    for a, b, c in [(10, None, 1), (1, None, 1), (0, 10, 1), (-5, 5, 1), (0, 100, 7), (100, 0, -3),
                    (5, 2**70, 1), (0, 2**32, 1), (0, 2**32 + 1, 1), (-10, 10, 3), (0, 2**64 - 1, 2)]:
        args = (a,) if b is None else (a, b, c)
        tape.append({"op": "randrange", "args": [str(v) for v in args], "result": str(r.randrange(*args))})
    for a, b in [(0, 0), (1, 6), (-100, 100), (0, 2**40)]:
        tape.append({"op": "randint", "args": [str(a), str(b)], "result": str(r.randint(a, b))})
    x = list(range(25))
    r.shuffle(x)
    tape.append({"op": "shuffle", "n": 25, "result": x})
    # sample: pool branch (n <= setsize) and set branch, around the switch.
    for n, k in [(10, 3), (10, 10), (10, 0), (21, 5), (22, 5), (100, 6), (100, 60), (1000, 10), (10**6, 50),
                 (1000, 1000)]:
        tape.append({"op": "sample", "n": n, "k": k, "result": r.sample(range(n), k)})
    out["tape"] = tape
    out["state_after_tape"] = py_state_digest(r)
    perms = []
    for n in PERM_NS:
        rr = random.Random(seed)
        x = list(range(n))
        rr.shuffle(x)
        perms.append(perm_entry(n, x))
    out["permutations"] = perms
    return out


def pyrandom_set_state():
    r = random.Random("state")
    [r.random() for _ in range(700)]
    r.gauss(0, 1)  # leaves gauss_next set
    st = py_state(r)
    r2 = random.Random(0)
    r2.setstate((st["version"], tuple(st["internalstate"]), st["gauss_next"]))
    return {"state": st, "after": {"random": [r2.random() for _ in range(3)],
                                   "getrandbits64": str(r2.getrandbits(64))}}


# ---------------------------------------------------------------- PyTorch

def torch_case(name, seed):
    out = {"name": name, "seed": str(seed)}
    g = torch.Generator().manual_seed(seed)
    out["initial_seed"] = str(g.initial_seed())
    # random_(-2**63) on int64 fills with full-range 64-bit draws, each
    # random64() = first 32-bit draw << 32 | second.
    n64 = (RAW_TOTAL + 1) // 2
    t = torch.empty(n64, dtype=torch.int64).random_(-2**63, None, generator=g)
    words = []
    for v in t.tolist():
        v &= 2**64 - 1
        words += [v >> 32, v & 0xFFFFFFFF]
    out["raw"] = raw_windows(words)
    g = torch.Generator().manual_seed(seed)
    tape = []
    tape.append({"op": "rand32", "result": [float(v) for v in torch.rand(7, generator=g, dtype=torch.float32).tolist()]})
    tape.append({"op": "rand64", "result": [float(v) for v in torch.rand(7, generator=g, dtype=torch.float64).tolist()]})
    tape.append({"op": "randperm", "n": 17, "result": torch.randperm(17, generator=g).tolist()})
    tape.append({"op": "rand32", "result": [float(v) for v in torch.rand(3, generator=g, dtype=torch.float32).tolist()]})
    out["tape"] = tape
    out["permutations"] = [perm_entry(n, torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist())
                           for n in PERM_NS]
    return out


def torch_seed_limits():
    """Which manual_seed arguments torch accepts."""
    out = []
    for s in [-2**63 - 1, -2**63, -1, 0, 2**64 - 1, 2**64]:
        try:
            g = torch.Generator().manual_seed(s)
            out.append({"seed": str(s), "ok": True, "initial_seed": str(g.initial_seed())})
        except RuntimeError:
            out.append({"seed": str(s), "ok": False})
    return out


def main():
    rs_seeds = [("0", 0), ("42", 42), ("2^32-1", 2**32 - 1),
                ("array[0]", [0]), ("array[1,2,3]", [1, 2, 3]), ("array[2^32-1,0,5]", [2**32 - 1, 0, 5])]
    py_seeds = [("0", 0), ("42", 42), ("2^32-1", 2**32 - 1), ("2^32", 2**32), ("-42", -42),
                ("2^64+1", 2**64 + 1), ("big", 12345678901234567890123456789),
                ("str splitdata", "splitdata"), ("str empty", ""), ("str 42", "42"), ("str unicode", "grüße ✓")]
    torch_seeds = [("0", 0), ("42", 42), ("2^32-1", 2**32 - 1), ("2^32+42", 2**32 + 42), ("-1", -1), ("2^63", 2**63)]
    out = {
        "versions": {"numpy": np.__version__, "python": sys.version.split()[0], "torch": torch.__version__},
        "randomstate": [randomstate_case(n, s) for n, s in rs_seeds],
        "randomstate_set_state": randomstate_set_state(),
        "pyrandom": [pyrandom_case(n, s) for n, s in py_seeds],
        "pyrandom_set_state": pyrandom_set_state(),
        "torch": [torch_case(n, s) for n, s in torch_seeds],
        "torch_seed_limits": torch_seed_limits(),
    }
    text = json.dumps(out, sort_keys=True, separators=(",", ":")) + "\n"
    if "--stdout" in sys.argv[1:]:
        sys.stdout.write(text)
        return
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compat_vectors.json")
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
