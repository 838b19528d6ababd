#!/usr/bin/python3
# Generates prng/testdata/vectors.json from NumPy. GENERATED FILE: the JSON is
# the output of this script; never edit it by hand. Regenerate with
#
#     /usr/bin/python3 prng/testdata/gen_vectors.py
#
# (or `make vectors`) using Debian's python3-numpy; it rewrites vectors.json
# beside this script, or prints to stdout with --stdout. The output is
# deterministic: every seed is fixed and keys are sorted. The script first
# checks the known facts quoted in issue 3 and stops if NumPy disagrees.
# Integers that may exceed 2^64 (entropy, 128-bit states and deltas) are
# written as decimal strings; 64-bit values as JSON numbers; floats in
# Python's shortest round-trip repr.
import hashlib
import json
import os
import sys

import numpy as np
from numpy.random import PCG64, Generator, SeedSequence

SEEDS = [
    ("0", 0),
    ("1", 1),
    ("42", 42),
    ("2^32-1", 2**32 - 1),
    ("2^63+5", 2**63 + 5),
    ("2^64+1", 2**64 + 1),
    ("128-bit", 0x8A3F_1C2D_9E4B_7A60_5D1E_F203_C4B5_A697),
    ("2^128+7", 2**128 + 7),
]

N_RAW = 16
ADVANCES = [0, 1, 10**12, 2**64 - 1, 2**64, 2**100 + 3, 2**128 - 1]


def state_json(bg):
    """NumPy's bit_generator.state as compact JSON text."""
    return json.dumps(bg.state, separators=(",", ":"))


def raw(bg, n=N_RAW):
    return [int(v) for v in bg.random_raw(n)]


def seedseq_vector(ss):
    return {
        "entropy": str(ss.entropy),
        "spawn_key": [int(k) for k in ss.spawn_key],
        "pool": [int(v) for v in ss.pool],
        "state32": [int(v) for v in ss.generate_state(9, np.uint32)],
        "state64": [int(v) for v in ss.generate_state(5, np.uint64)],
        "pcg64_raw": raw(PCG64(ss), 4),
    }


def pcg64_vector(name, seed):
    bg = PCG64(seed)
    out = {"name": name, "seed": str(seed), "state": state_json(bg)}
    out["seedseq"] = seedseq_vector(SeedSequence(seed))
    out["raw"] = raw(PCG64(seed))
    adv = []
    for d in ADVANCES:
        b = PCG64(seed)
        b.advance(d)
        adv.append({"delta": str(d), "state": state_json(b), "raw": raw(b, 4)})
    out["advance"] = adv
    jumped = []
    for j in (1, 2, 3):
        b = PCG64(seed).jumped(j)
        jumped.append({"jumps": j, "state": state_json(b), "raw": raw(b, 4)})
    out["jumped"] = jumped
    return out


def spawn_vectors():
    """Children and grandchildren of SeedSequence(42) and of a large entropy."""
    out = []
    for entropy in (42, 2**64 + 1):
        root = SeedSequence(entropy)
        kids = root.spawn(3) + root.spawn(2)  # indices continue at 3
        vec = {"entropy": str(entropy), "children": [seedseq_vector(k) for k in kids]}
        grand = kids[1].spawn(2)
        vec["grandchildren_of_1"] = [seedseq_vector(g) for g in grand]
        out.append(vec)
    # A sequence created with an explicit spawn key, as NumPy users may do.
    ss = SeedSequence(7, spawn_key=(5, 0, 4294967295))
    out.append({"entropy": "7", "explicit": seedseq_vector(ss), "children": [], "grandchildren_of_1": []})
    return out


def uint32_ops():
    """Interleaved 32-bit draws (NumPy's internal next_uint32, through the
    ctypes interface), 64-bit draws and advances, with the state after each."""
    ops = ["u32", "u32", "u32", "u64", "u32", "u64", "u32", "adv1", "u32", "u32",
           "u32", "adv0", "u64", "u32", "jump"]
    out = []
    for name, seed in (("42", 42), ("2^64+1", 2**64 + 1)):
        bg = PCG64(seed)
        steps = []
        for op in ops:
            if op == "u32":
                v = int(bg.ctypes.next_uint32(bg.ctypes.state))
            elif op == "u64":
                v = int(bg.random_raw())
            elif op.startswith("adv"):
                bg.advance(int(op[3:]))
                v = None
            else:  # jump: jumped(1) replaces the generator
                bg = bg.jumped(1)
                v = None
            steps.append({"op": op, "value": v, "state": state_json(bg)})
        out.append({"seed": str(seed), "name": name, "steps": steps})
    return out


INTEGER_RANGES = [
    (5, 6), (0, 2), (0, 10), (-5, 5), (0, 2**31), (0, 2**32 - 1), (0, 2**32),
    (-(2**31), 2**31), (0, 2**32 + 1), (0, 2**62 + 12345), (-1000, 10**15),
    (-(2**63), 2**63 - 1), (2**63 - 3, 2**63 - 1), (-(2**63), -(2**63) + 1),
]

# Closed intervals, rng.integers(low, high, endpoint=True): the only way to
# ask Go for the full int64 span, which takes raw 64-bit draws.
INTEGER_CLOSED_RANGES = [
    (-(2**63), 2**63 - 1), (0, 2**64 // 2 - 1), (-1, 0), (7, 7),
    (0, 2**32 - 1), (0, 2**32 - 2), (0, 2**32), (-(2**63), -(2**63)),
    (2**63 - 1, 2**63 - 1), (-(2**62), 2**62),
]

# Ranges where Lemire's method rejects about half of its draws (rng + 1 just
# above a power of two), so that the retry loops are exercised.
INTEGER_REJECT_RANGES = [
    (0, 2**31 + 1), (-(2**62), 2**62 + 1), (7, 7 + 3 * 2**30 + 1), (0, 2**63 - 2**61 + 1),
]

SHUFFLE_ITEMS = ["item%02d" % i for i in range(20)]

TRIANGULAR = [(0.0, 1.0, 3.0), (-1.0, -1.0, 1.0), (0.0, 2.0, 2.0), (1e-3, 5.0, 1e9)]


def floats(vals):
    return [float(v) for v in vals]


def generator_vector(name, seed):
    """Every Generator method on default_rng(seed); each block starts afresh."""
    out = {"name": name, "seed": str(seed)}
    g = np.random.default_rng(seed)
    out["random"] = [float(g.random()) for _ in range(8)]
    g = np.random.default_rng(seed)
    # One generator across all ranges: the 32-bit buffer carries over.
    ints = []
    for low, high in INTEGER_RANGES:
        ints.append({"low": low, "high": high,
                     "values": [int(g.integers(low, high)) for _ in range(6)]})
    out["integers"] = ints
    out["integers_state"] = state_json(g.bit_generator)
    g = np.random.default_rng(seed)
    closed = []
    for low, high in INTEGER_CLOSED_RANGES:
        closed.append({"low": low, "high": high,
                       "values": [int(g.integers(low, high, endpoint=True)) for _ in range(6)]})
    # The same full span written with an exclusive bound of 2^63.
    closed.append({"low": -(2**63), "high": 2**63 - 1,
                   "values": [int(g.integers(-(2**63), 2**63)) for _ in range(6)]})
    out["integers_closed"] = closed
    out["integers_closed_state"] = state_json(g.bit_generator)
    g = np.random.default_rng(seed)
    out["integers_reject"] = [{"low": low, "high": high,
                               "values": [int(g.integers(low, high)) for _ in range(12)]}
                              for low, high in INTEGER_REJECT_RANGES]
    out["integers_reject_state"] = state_json(g.bit_generator)
    g = np.random.default_rng(seed)
    shuffled = []
    for n in (20, 3, 1, 0):
        items = list(SHUFFLE_ITEMS[:n])  # a Python list: NumPy's generic path
        g.shuffle(items)
        shuffled.append(items)
    out["shuffle"] = shuffled
    out["shuffle_state"] = state_json(g.bit_generator)
    g = np.random.default_rng(seed)
    out["permutations"] = [{"n": n, "values": [int(v) for v in g.permutation(n)]}
                           for n in (0, 1, 2, 10, 37)]
    out["permutations_state"] = state_json(g.bit_generator)
    g = np.random.default_rng(seed)
    out["standard_normal"] = [float(g.standard_normal()) for _ in range(16)]
    g = np.random.default_rng(seed)
    out["standard_exponential"] = [float(g.standard_exponential()) for _ in range(16)]
    g = np.random.default_rng(seed)
    out["triangular"] = [{"left": l, "mode": m, "right": r,
                          "values": [float(g.triangular(l, m, r)) for _ in range(4)]}
                         for l, m, r in TRIANGULAR]
    return out


LONG_RUN = 100_000


def long_runs():
    """Long runs that pass through every ziggurat layer, the wedges and the
    tails; summarised by a SHA-256 of the float64 values, little-endian."""
    out = []
    for dist in ("standard_normal", "standard_exponential"):
        for seed in (42, 2**64 + 1):
            g = np.random.default_rng(seed)
            vals = getattr(g, dist)(LONG_RUN)
            out.append({
                "dist": dist, "seed": str(seed), "n": LONG_RUN,
                "first": floats(vals[:4]),
                "sha256": hashlib.sha256(vals.astype("<f8").tobytes()).hexdigest(),
                "state": state_json(g.bit_generator),
            })
    g = np.random.default_rng(7)
    perm = g.permutation(LONG_RUN)
    out.append({"dist": "permutation", "seed": "7", "n": LONG_RUN, "first": [],
                "sha256": hashlib.sha256(perm.astype("<i8").tobytes()).hexdigest(),
                "state": state_json(g.bit_generator)})
    return out


# Forcing the next outputs of PCG64. NumPy's output is XSL-RR of the state
# after the step; with the top 6 bits of the high word zero there is no
# rotation and the output is high ^ low. So any output can be had by picking
# the new state, and the state before it follows from the inverse multiplier.
# Two outputs in a row also fix the increment. prng/ziggurat_test.go builds
# the same states.
MULT = (2549297995355413924 << 64) | 4865540595714422341
M128 = 1 << 128
MULT_INV = pow(MULT, -1, M128)
FORCE_H1 = 0x0123456789ABCDEF
FORCE_H2 = 0x00FEDCBA98765432
FORCE_INC = (0x5851F42D4C957F2D << 64) | 0x14057B7EF767814F  # odd


def forced_state(out1, out2=None):
    s1 = (FORCE_H1 << 64) | (FORCE_H1 ^ out1)
    if out2 is None:
        inc = FORCE_INC
    else:
        h2 = (FORCE_H2 & ~1) | ((out2 ^ s1 ^ 1) & 1)  # makes inc odd
        s2 = (h2 << 64) | (h2 ^ out2)
        inc = (s2 - s1 * MULT) % M128
    prev = ((s1 - inc) * MULT_INV) % M128
    return {"bit_generator": "PCG64", "state": {"state": prev, "inc": inc},
            "has_uint32": 0, "uinteger": 0}, s1


def draw_forced(method, out1, out2=None):
    """Draw once with the next outputs forced; return the value and how many
    64-bit outputs were consumed (1, 2, or 3 for 'more than 2')."""
    bg = PCG64(0)
    st, s1 = forced_state(out1, out2)
    bg.state = st
    v = getattr(Generator(bg), method)()
    now = bg.state["state"]["state"]
    if now == s1:
        used = 1
    elif now == (s1 * MULT + st["state"]["inc"]) % M128:
        used = 2
    else:
        used = 3
    return float(v), used


def first_slow(method, word):
    """Smallest magnitude m for which word(m) leaves the fast path."""
    lo, hi = 0, None
    top = 1 << 52 if method == "standard_normal" else 1 << 53
    lo, hi = 0, top  # answer in [lo, hi]; hi = top means never slow
    while lo < hi:
        mid = (lo + hi) // 2
        _, used = draw_forced(method, word(mid), 0)
        if used > 1:
            hi = mid
        else:
            lo = mid + 1
    return lo


def first_reject(method, w):
    """Smallest 53-bit uniform u (second output u<<11) that rejects the wedge
    for the first output w; 2^53 if none does."""
    lo, hi = 0, 1 << 53
    while lo < hi:
        mid = (lo + hi) // 2
        _, used = draw_forced(method, w, mid << 11)
        if used > 2:
            hi = mid
        else:
            lo = mid + 1
    return lo


def ziggurat():
    """Table entries NumPy reveals through forced draws: widths w exactly (a
    magnitude of 1 returns w[idx]), fast-path bounds k by bisection, and for
    the wedges the uniform at which acceptance flips, which pins f."""
    out = {}
    normal_word = lambda idx, m: (m << 9) | idx
    exp_word = lambda idx, m: (m << 11) | (idx << 3)
    for method, word, bits in (("standard_normal", normal_word, 52),
                               ("standard_exponential", exp_word, 53)):
        w, k, wedge = [], [], []
        for idx in range(256):
            w.append(draw_forced(method, word(idx, 1), 0)[0])
            k.append(first_slow(method, lambda m: word(idx, m)))
        for idx in range(1, 256):
            m = (k[idx] + (1 << bits)) // 2  # inside the wedge of layer idx
            wedge.append({"idx": idx, "m": m, "u53": first_reject(method, word(idx, m))})
        out[method] = {"w": w, "k": k, "wedge": wedge}
    return out


def tails():
    """Tail draws with a forced uniform: normal r + xx with xx from log1p(-U)
    (and a second, unforced uniform), exponential r - log1p(-U)."""
    rs = np.random.RandomState(12345)  # only picks the forced uniforms
    us = [0, 1, 2, (1 << 53) - 1, 1 << 52] + [int(v) for v in rs.randint(0, 1 << 53, 400, dtype=np.int64)]
    us += [int(v) >> int(s) for v, s in zip(rs.randint(0, 1 << 53, 100, dtype=np.int64),
                                            rs.randint(1, 50, 100))]
    out = {"standard_normal": [], "standard_exponential": []}
    for i, u in enumerate(us):
        rabs = (1 << 52) - 1 - ((i & 1) << 8)  # bit 8 of rabs picks the sign
        v, _ = draw_forced("standard_normal", (rabs << 9) | ((i & 2) << 7), u << 11)
        out["standard_normal"].append({"m": rabs, "u53": u, "value": v})
        v, _ = draw_forced("standard_exponential", ((1 << 53) - 1) << 11, u << 11)
        out["standard_exponential"].append({"m": (1 << 53) - 1, "u53": u, "value": v})
    return out


# Known facts quoted in issue 3; the script refuses to write vectors if the
# installed NumPy disagrees.
FACT_PCG64_42_RAW = [0xC621FBCD16D92688, 0x705A5661A791FFC1]
FACT_PERMUTATION_42_10 = [5, 6, 0, 7, 3, 2, 4, 9, 1, 8]


def check_facts():
    got = [int(v) for v in PCG64(42).random_raw(2)]
    if got != FACT_PCG64_42_RAW:
        sys.exit("PCG64(42).random_raw(2) = %r, issue 3 says %r" % (got, FACT_PCG64_42_RAW))
    got = [int(v) for v in np.random.default_rng(42).permutation(10)]
    if got != FACT_PERMUTATION_42_10:
        sys.exit("default_rng(42).permutation(10) = %r, issue 3 says %r" % (got, FACT_PERMUTATION_42_10))


def main():
    check_facts()
    vectors = {
        "comment": "generated by prng/testdata/gen_vectors.py from NumPy; never edit by hand",
        "numpy_version": np.__version__,
        "pcg64": [pcg64_vector(name, seed) for name, seed in SEEDS],
        "spawn": spawn_vectors(),
        "uint32_ops": uint32_ops(),
        "generator": [generator_vector(name, seed) for name, seed in SEEDS],
        "long_runs": long_runs(),
        "ziggurat": ziggurat(),
        "tails": tails(),
        "force": {"h1": FORCE_H1, "h2": FORCE_H2, "inc": str(FORCE_INC)},
    }
    text = json.dumps(vectors, indent=1, sort_keys=True) + "\n"
    if sys.argv[1:] == ["--stdout"]:
        sys.stdout.write(text)
        return
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors.json")
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
