"""Two output-identity claims of stop 28 held to their references on adversarial, seeded random text (review13).

1. unicode_fix's shortcut (winnow.steps.clean.fix_screened) against ftfy.fix_text, for 7 step configurations, each
   also with max_decode_length cut to 1-12 characters: mojibake of 36 words through 10 one-byte codecs (strict,
   replace, ignore), HTML entities with and without "<" (the "auto" unescape state), \\r\\n / \\r / U+2028 / U+2029 /
   U+0085 line ends, whitespace-only lines, lone surrogates, NFD / NFKD text, controls, terminal escapes, ligatures,
   full-width letters, Hangul jamo; then "soup": strings drawn from the badness expression's own characters, ASCII
   and line ends (the windowed badness search); then lines longer than the default max_decode_length with the
   damage at the cut.
2. The sentence terminator expression (winnow.sentences._TERM) against the plain alternation it replaced
   (_TERM_PLAIN), on random strings of terminators, closers, letters and line ends, from position 0 and a random one.

    PYTHONPATH=src python bench/unicode_fix_fuzz.py --seconds 60 --seed 1

Prints the comparisons made and how many differ; exit status 1 if any does.
"""
from __future__ import annotations

import argparse
import random
import time
import unicodedata

WORDS = ["café", "naïve", "don’t", "“quoted”", "Straße", "Ελληνικά", "русский", "中文", "日本語", "العربية", "हिन्दी",
         "😀", "𝔘𝔫𝔦", "façade", "résumé", "½", "€5", "™", "—", "…", "¿Qué?", "Łódź", "İstanbul", "ﬁne", "ＬＯＵＤ", "한국어",
         "Å", "ñ", "ø", "œuvre", "Œ", "×²", "°C", "Ü°", "à²", "√±"]
CODECS = ["cp1252", "latin-1", "macroman", "cp1251", "cp437", "cp850", "iso-8859-2", "cp1250", "iso-8859-7", "koi8-r"]
SPECIALS = ["&amp;", "&lt;", "&gt;", "&#x2019;", "&#8217;", "&hellip;", "&nbsp;", "&eacute;", "&quot;", "&", "<", "<b>",
            "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\t", " ", "  ", "\u00a0", "\u2003", "\u200b",
            "\ufeff", "\ufffd", "\x00", "\x07", "\x1b[31m", "\x1b", "\x7f", "\x80", "\x93", "\x9d", "\ud83d", "\ude00",
            "\udc80", "\U0001d173", "\U000e0041", "\u206a", "\ufff9", "e\u0301", "\u0301", "\u1100\u1161\u11a8",
            "\u1100", "\u11a8", "\u0958", "\u2126", "\u212b", "\u00c5", "A\u030a", "\uff21", "\u3000", "\ufb01", "\ufb02",
            "\u0132", "\u2160", "Ã©", "Ã", "â€™", "â€", "Â ", "Â", "Ã\xa0", "Ã¢â‚¬â„¢", "Ð", "Ñ", "вЂ", "‚Ä", "Ø³", "\n",
            "\n\n", "   \n"]
CONFIGS = ({}, {"uncurl_quotes": True, "fix_character_width": True}, {"unescape_html": False},
           {"normalization": None}, {"fix_latin_ligatures": False}, {"fix_character_width": True},
           {"normalization": "NFKC"})


def fuzz_unicode(rng: random.Random, seconds: float) -> tuple[int, int]:
    import ftfy
    from ftfy import badness

    from winnow.step import Context
    from winnow.steps.clean import UnicodeFix, _screen, fix_screened

    def moji(w: str) -> str:
        try:
            return w.encode("utf-8").decode(rng.choice(CODECS), errors=rng.choice(["replace", "ignore", "strict"]))
        except UnicodeDecodeError:
            return w.encode("utf-8").decode("latin-1")

    def piece() -> str:
        r = rng.random()
        if r < 0.3:
            return rng.choice(WORDS)
        if r < 0.55:
            return moji(rng.choice(WORDS + [" ".join(rng.sample(WORDS, 3))]))
        if r < 0.85:
            return rng.choice(SPECIALS)
        return rng.choice(["the", "a", "plain", "text", "line", "x"])

    def text() -> str:
        t = "".join(piece() + rng.choice(["", " ", " ", "\n", ""]) for _ in range(rng.randint(0, 30)))
        r = rng.random()
        return unicodedata.normalize("NFD", t) if r < 0.1 else unicodedata.normalize("NFKD", t) if r < 0.15 else t

    cfgs = []
    for params in CONFIGS:
        step = UnicodeFix(**params)
        step.setup(Context())
        cfgs.append((params, step._config))
    n = bad = 0

    def check(t: str, c, params) -> None:
        nonlocal n, bad
        n += 1
        want, got = ftfy.fix_text(t, c), fix_screened(t, c, _screen(c))
        if want != got:
            bad += 1
            if bad <= 10:
                print("DIFFERS", params, c.max_decode_length, repr(t)[:300], repr(want)[:150], repr(got)[:150])

    pool = sorted({ch for ch in badness.BADNESS_RE.pattern if ord(ch) > 127})
    pool += list("abcXYZ \t\n\r&<;#x0123") + ["\u2028", "\x85", "\u0301", "\ud800", "\x1b", "\ufb01"]
    t0 = time.process_time()
    while time.process_time() - t0 < seconds / 2:
        t = text()
        for params, cfg in cfgs:
            for c in (cfg, cfg._replace(max_decode_length=rng.randint(1, 12))):
                check(t, c, params)
    while time.process_time() - t0 < seconds:
        t = "".join(rng.choice(pool) for _ in range(rng.randint(0, 40)))
        for params, cfg in cfgs[:4]:
            for c in (cfg, cfg._replace(max_decode_length=rng.randint(1, 12))):
                check(t, c, params)
    cfg = cfgs[0][1]
    m = cfg.max_decode_length
    for t in ("a" * (m - 1) + "e\u0301" + "b" * 10, "x" * (m - 1) + "Ã©tÃ©" + "y" * 5, "x" * (m - 2) + "&amp; ok\nTom &amp;",
              "x" * (m - 1) + "\r\nnext", "word " * (m // 2) + "\ndonâ€™t\n", "<" + "x" * m + "&amp;",
              "x" * (m - 1) + "\ud83d\ude00z"):
        check(t, cfg, "long line")
    return n, bad


def fuzz_terminators(rng: random.Random, seconds: float) -> tuple[int, int]:
    from winnow.sentences import _TERM, _TERM_PLAIN

    chars = list(".!?\u2026\u3002\uff01\uff1f\uff0e\u0964\u0965\u061f\u06d4\n\"'\u201d\u2019\u00bb\u300d\u300f)]\uff09aB "
                 "\u00e9\u4e2d(\r\u201c\u00ab")
    n = bad = 0
    t0 = time.process_time()
    while time.process_time() - t0 < seconds:
        t = "".join(rng.choice(chars) for _ in range(rng.randint(0, 60)))
        for p in (0, rng.randint(0, len(t))):
            n += 1
            if [m.span() for m in _TERM.finditer(t, p)] != [m.span() for m in _TERM_PLAIN.finditer(t, p)]:
                bad += 1
                if bad <= 10:
                    print("DIFFERS", repr(t), p)
    return n, bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0, help="CPU seconds for each of the two parts")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    n1, b1 = fuzz_unicode(rng, args.seconds)
    print(f"fix_screened vs ftfy.fix_text: {n1:,} comparisons, {b1} differ")
    n2, b2 = fuzz_terminators(rng, args.seconds)
    print(f"_TERM vs _TERM_PLAIN: {n2:,} scans, {b2} differ")
    return 1 if b1 or b2 else 0


if __name__ == "__main__":
    raise SystemExit(main())
