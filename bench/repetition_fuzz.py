"""Fuzz ``repetition``'s search (winnow.steps.runs.char_repetitions) against Dolma's expression itself, and
optionally against another version of runs.py, on adversarial texts: a piece of 1-300 characters (periodic
itself, or random) repeated 2-6 times with mixed optional separators (ASCII and non-ASCII whitespace, line
breaks, none), near-periodic variants (characters changed), unicode and astral characters, and overlapping copies.

    python bench/repetition_fuzz.py --seed 2 --n 5000
    git show d090be3^:src/winnow/steps/runs.py > /tmp/oldruns.py
    python bench/repetition_fuzz.py --seed 2 --n 5000 --old /tmp/oldruns.py

The expression is quadratic, so it is the reference only for texts under --ref-chars; longer ones are compared
with --old alone. Prints the cases that differ (at most 3) and a count; exit status 1 when any differs.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import re
import sys
import tempfile
import time

from winnow.steps.runs import DOLMA_PATTERN, char_repetitions

ALPHA = ["ab", "abc ", "a \n", "aé😀 ", "x\u3000y", "ab\x85", "ab\u2028c", "abcdefghij", "01"]
SEPS = ["", " ", "\t", "\u3000", "\x85", "x", "  ", "\n", "\u2028"]


def gen(rng: random.Random) -> str:
    al = rng.choice(ALPHA)
    size = rng.choice([rng.randint(1, 40), rng.randint(30, 70), rng.randint(60, 300)])
    kind = rng.randrange(5)
    if kind in (0, 3):  # a piece periodic itself (its copies overlap at shorter distances)
        unit = "".join(rng.choice(al) for _ in range(rng.randint(1, 5)))
        piece = (unit * (size // len(unit) + 1))[:size]
        if kind == 3 and size > 2:  # one character of the piece changed
            j = rng.randrange(size)
            piece = piece[:j] + rng.choice(al + "Z") + piece[j + 1:]
    else:
        piece = "".join(rng.choice(al) for _ in range(size))
    t = "".join(rng.choice(al) for _ in range(rng.randint(0, 40)))
    t += "".join(rng.choice(SEPS) + piece for _ in range(rng.randint(1, 6)))
    if kind == 2:  # near-periodic: a few characters of the copies changed
        chars = list(t)
        for _ in range(rng.randint(1, 4)):
            chars[rng.randrange(len(chars))] = rng.choice(al + "Q ")
        t = "".join(chars)
    if kind == 4:  # the text again, overlapping itself
        t = t + t[: rng.randint(0, len(t))] + rng.choice(SEPS) + t
    return t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--old", help="another version's runs.py (its relative imports are not used)")
    ap.add_argument("--ref-chars", type=int, default=2500)
    args = ap.parse_args()
    old = None
    if args.old:
        src = open(args.old).read()
        src = re.sub(r"from \.\.(\w+) import", r"from winnow.\1 import", src)
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(src)
        spec = importlib.util.spec_from_file_location("oldruns", f.name)
        old = importlib.util.module_from_spec(spec)
        sys.modules["oldruns"] = old
        spec.loader.exec_module(old)
        os.unlink(f.name)
    rx = re.compile(DOLMA_PATTERN)
    rng = random.Random(args.seed)
    bad = longest = 0
    c0 = time.process_time()
    for _ in range(args.n):
        t = gen(rng)
        longest = max(longest, len(t))
        new = list(char_repetitions(t, direct_up_to=0))
        want = ([(m.start(), m.end(), m.group(0).count(m.group(1))) for m in rx.finditer(t)]
                if len(t) < args.ref_chars else None)
        prev = list(old.char_repetitions(t, direct_up_to=0)) if old is not None else None
        if (want is not None and new != want) or (prev is not None and new != prev):
            bad += 1
            if bad <= 3:
                print("DIFFERS", repr(t)[:300], new[:3], want and want[:3], prev and prev[:3])
    print(f"seed {args.seed}: {args.n:,} texts (up to {longest:,} characters), {bad} differ; "
          f"{time.process_time() - c0:.1f} CPU s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
