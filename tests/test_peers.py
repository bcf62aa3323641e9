"""A user porting a datatrove, Dolma or NeMo Curator pipeline types the names they know: each is answered with
winnow's counterpart (friction12: ``winnow steps Trafilatura`` suggested ``url_filter``, ``WarcReader`` and
``PIIFormatter`` nothing), and docs/migrating.md lists the same names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from winnow import steps
from winnow.catalog import components, find_peer
from winnow.cli import main
from winnow.config import pipeline_from_dict
from winnow.errors import ConfigError
from winnow.peers import PEERS, peer_entry

DOC = Path(__file__).resolve().parents[1] / "docs" / "migrating.md"


def test_every_peer_name_points_at_components_that_exist_and_is_in_the_guide():
    known = {(k, n) for k, n, _ in components()}
    names = {n for _, n in known}
    text = DOC.read_text(encoding="utf-8")
    for peer, (whose, targets, how) in PEERS.items():
        assert f"`{peer}`" in text, f"{peer} missing from docs/migrating.md"
        assert whose in ("datatrove", "Dolma", "NeMo Curator") and how
        for t in targets:
            kind, _, name = t.rpartition(":")
            assert ((kind, name) in known) if kind else (name in names), (peer, t)
        # a peer name never shadows a winnow name (a lookup of a winnow name never reaches the table)
        assert peer not in names


def test_steps_name_takes_a_peers_name(capsys):
    assert main(["steps", "GopherQualityFilter"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("gopher_quality  [step: filter]")
    assert "datatrove's name; in winnow: gopher_quality" in out.err
    assert main(["steps", "trafilatura"]) == 0  # any case: spelling alone sent it to url_filter
    assert capsys.readouterr().out.startswith("html_extract")
    assert main(["steps", "WarcReader"]) == 0  # "no step ... named 'WarcReader'" with no hint at all
    assert capsys.readouterr().out.startswith("warc  [reader]")
    assert main(["steps", "JsonlWriter"]) == 0  # the writer, not the reader of the same name
    assert capsys.readouterr().out.startswith("jsonl  [writer]")
    assert main(["steps", "gopher_v1"]) == 0  # Dolma's tagger: both of winnow's steps
    out = capsys.readouterr().out
    assert out.startswith("gopher_quality") and "\ngopher_repetition  [step: filter]" in out
    assert main(["steps", "fuzzy-duplicates"]) == 0
    assert capsys.readouterr().out.startswith("minhash_dedup")
    assert main(["steps", "ScoreFilter"]) == 2  # no one component: the sentence says what to do instead
    assert "on_drop: annotate" in capsys.readouterr().err
    assert [c[1] for c in find_peer("DocumentTokenizer")] == ["tokenize", "datatrove"]


def test_a_pipeline_with_peer_names_is_refused_naming_winnows():
    raw = {"stages": [{"name": "main", "reader": {"type": "JsonlReader", "paths": "x.jsonl"},
                       "steps": [{"type": "PIIFormatter"}, {"type": "c4_v1"}]}]}
    with pytest.raises(ConfigError) as exc:
        pipeline_from_dict(raw)
    msg = str(exc.value)
    assert "'JsonlReader' is datatrove's name; in winnow: reader {type: jsonl, format: datatrove}" in msg
    assert "'PIIFormatter' is datatrove's name; in winnow: pii" in msg
    assert "'c4_v1' is Dolma's name; in winnow: c4_quality" in msg
    with pytest.raises(AttributeError, match="NeMo Curator's name; in winnow: minhash_dedup"):
        steps.FuzzyDuplicates  # noqa: B018
    assert peer_entry("not_a_peer_name") is None
    # qualified, as NeMo Curator's heuristic filter YAML names its filters
    assert peer_entry("nemo_curator.filters.heuristic_filter.WordCountFilter")[0] == "WordCountFilter"
    assert peer_entry("datatrove.pipeline.filters.GopherQualityFilter")[2] == ("gopher_quality",)


def test_peer_parameter_names_map_to_parameters_that_exist():
    from winnow.config import _fields
    from winnow.peers import PEER_PARAMS

    for type_name, params in PEER_PARAMS.items():
        fields = set()
        for kind, name, cls in components():
            if name == type_name and kind in ("step", "reader", "writer"):
                fields |= set(_fields(cls))
        assert fields, type_name
        for peer, how in params.items():
            assert peer not in fields, (type_name, peer)  # never shadows a winnow parameter
            if how.startswith(("nothing", "-o ")):
                continue
            assert re.match(r"[a-z][a-z0-9_]*", how).group(0) in fields, (type_name, peer, how)


def test_a_peers_parameter_name_is_answered_with_winnows(tmp_path):
    raw = {"stages": [{"name": "main", "reader": {"type": "jsonl", "data_folder": "data"},
                       "steps": [{"type": "language", "language_threshold": 0.65},
                                 {"type": "minhash_dedup", "num_buckets": 14, "hashes_per_bucket": 8}]}]}
    with pytest.raises(ConfigError) as exc:
        pipeline_from_dict(raw)
    msg = str(exc.value)
    assert "unknown parameter 'data_folder': 'data_folder' is a datatrove/NeMo Curator name; in winnow: paths" in msg
    assert "'language_threshold' is a datatrove/NeMo Curator name; in winnow: min_score" in msg
    assert "in winnow: bands" in msg
    with pytest.raises(ConfigError, match="unknown parameter 'min_word'; did you mean 'min_words'"):  # a typo
        pipeline_from_dict({"stages": [{"name": "m", "reader": {"type": "jsonl", "paths": "x"},
                                        "steps": [{"type": "gopher_quality", "min_word": 3}]}]})


def test_help_tells_a_migrating_user_where_their_names_go(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "Coming from datatrove, Dolma or NeMo Curator: winnow steps takes their names too" in out
    for name in ("GopherQualityFilter", "gopher_v1", "FuzzyDuplicates"):  # each one the help names answers
        assert name in out and peer_entry(name) is not None


def test_nemo_curators_filter_config_form_is_named():
    # heuristic_filter_en.yaml writes {name: nemo_curator.filters...WordCountFilter, params: {min_words: 50}}
    raw = {"stages": [{"name": "main", "reader": {"type": "jsonl", "paths": "x"}, "steps": [
        {"name": "nemo_curator.filters.heuristic_filter.WordCountFilter", "params": {"min_words": 50}}]}]}
    with pytest.raises(ConfigError, match=r"is NeMo Curator's form; winnow's is \{type: NAME, PARAM: VALUE, "
                                          r"\.\.\.\}: 'WordCountFilter' is NeMo Curator's name; in winnow: "
                                          r"gopher_quality"):
        pipeline_from_dict(raw)
