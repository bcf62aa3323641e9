"""The compiled kernels (src/winnow/_native/kernels.c, extract.c) built with AddressSanitizer and
UndefinedBehaviorSanitizer, driven through their Python wrappers with hostile text: empty, NUL, lone surrogates,
1-, 2- and 4-byte strs, the empty word, huge chunks and growing tables. A memory error in a kernel would crash a
whole worker; here the sanitizers turn any read past a buffer, use after free or undefined operation into a
failed run. Skipped where no C compiler with the sanitizers (or its ASan runtime) is found."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from winnow import _native

SRC = Path(_native.__file__).parent
FLAGS = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer",
         "-fPIC", "-shared", "-ffp-contract=off"]

DRIVER = textwrap.dedent("""
    import random, sys
    from pathlib import Path
    from winnow import _native
    _native.LIB_PATH = Path(sys.argv[1]) / "_kernels.so"
    _native.EXTRACT_PATH = Path(sys.argv[1]) / "_extract.so"
    from winnow.steps import quality as q, extract as ex, _fastlid
    from winnow.steps.langid import lite_model_path
    assert _native.kernels() is not None and _native.extract_kernels() is not None
    lid = _fastlid.FastLid(lite_model_path())
    assert lid.native
    samples = ["", "\\x00", " \\x00 ", "\\ud800", "\\udfff x \\ud800\\udc00", "\\u0101 b", "\\U0001f600 c", " \\n\\n \\t",
               "<", "<a", "<a>", "<br>\\n", "<pre>x</pre>", "&", "&amp;", "\\x02", "<!--", "<!-- -", "<script",
               "</script", "<s\\u017fript>", "<li", "<h1", "x\\t\\ty", "<a\\u00e9>", "<a href=x>y</a", "\\u3000\\x85"]
    rng = random.Random(7)
    alpha = ["a", " ", "\\n", "<", ">", "/", "!", "-", "=", "'", '"', "&", ";", "\\t", "\\x00", "\\ud800", "\\U0001f600",
             "\\u0101", "br", "pre", "p>", "li", "h1", "a ", "</a>", "amp;", "script", "\\x02", "\\u3000"]
    samples += ["".join(rng.choice(alpha) for _ in range(rng.randint(0, 40))) for _ in range(400)]
    # the compiled tokenizer: affix runs, special cases, units, chunks at its length limit (256) and past it
    toks = ["(", ")", "'", "s", "S", ".", ",", "5", "km/h", "US$", "Mr", "a.m.", ":)", "-", "--", "=", "C++", "'s", "a",
            "é", "’", "’s", "“", "”", "—", "……", "°F", "²", "€", "\u0101", "\U0001f600"]
    samples += [" ".join("".join(rng.choice(toks) for _ in range(rng.randint(1, 12))) for _ in range(30))
                for _ in range(200)] + ["(" * 128 + "a" * 128, "(" * 129 + "a" * 128, "'" * 256 + " x" * 300]
    for s in samples:
        for t in (s, s + "\\u0101", s + "\\U0001f600"):
            ex.cap_attributes(t)
            ex._blocks_c(t)
            ex._combined_c(t, t[: len(t) // 2])
            q._chunk_cids(t, {}, True)
            q._dup_pieces_c(t)
            lid.line_sum(t)
    # a fresh model whose first cached word is the empty one (its key goes into a table with no arena yet)
    _fastlid.FastLid(lite_model_path()).line_sum("  a")
    ex.cap_attributes("<a " + "x " * 300 + ">")
    big = "x" * 300_000
    for t in (big + " " + big, "\\u0101" * 300_000, "\\U0001f600" * 100_000):
        q._chunk_cids(t, {}, True); q._dup_pieces_c(t); ex.cap_attributes(t); ex._blocks_c(t); lid.line_sum(t)
    q._chunk_cids(" ".join(map(str, range(200_000))), {}, True)  # the chunk table grows past its first slots
    lid.line_sum(" ".join(map(str, range(100_000))))  # the word cache and line table grow
    print("clean")
""")


def _asan_runtime(cc: str) -> str | None:
    got = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    return got if got and os.path.isabs(got) and os.path.exists(got) else None


@pytest.fixture(scope="module")
def sanitized(tmp_path_factory):
    cc = shutil.which("gcc") or shutil.which("cc")
    runtime = _asan_runtime(cc) if cc else None
    if runtime is None:
        pytest.skip("no C compiler with AddressSanitizer here")
    out = tmp_path_factory.mktemp("sanitized")
    for src, lib in (("kernels.c", "_kernels.so"), ("extract.c", "_extract.so")):
        r = subprocess.run([cc, *FLAGS, "-o", str(out / lib), str(SRC / src)], capture_output=True, text=True)
        if r.returncode:
            pytest.skip(f"the sanitizers do not build here: {r.stderr[-300:]}")
    return out, runtime


def test_kernels_under_address_and_undefined_behaviour_sanitizers(sanitized):
    out, runtime = sanitized
    env = {k: v for k, v in os.environ.items() if k != _native.ENV}
    env.update(LD_PRELOAD=runtime, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:exitcode=86",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
               PYTHONPATH=os.pathsep.join([str(SRC.parent.parent), env.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-c", DRIVER, str(out)], capture_output=True, text=True, env=env,
                       timeout=600)
    assert r.returncode == 0 and "clean" in r.stdout, r.stderr[-4000:]
