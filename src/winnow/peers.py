"""What a component of datatrove, Dolma or NeMo Curator is called in winnow.

A user porting a pipeline types the class or tagger name they know (``GopherQualityFilter``, ``gopher_v1``,
``FuzzyDuplicates``) into ``winnow steps NAME`` or a pipeline's ``type:``; spelling similarity alone sent
``Trafilatura`` to ``url_filter`` and ``WarcReader`` nowhere. This table answers with winnow's name and how the
parameters carry over; ``docs/migrating.md`` is the same table for reading. Names are matched without case,
``_`` or ``-``. A peer name that has no winnow counterpart says so rather than guessing.
"""

from __future__ import annotations

import re

__all__ = ["PEERS", "PEER_PARAMS", "peer_entry", "peer_hint", "peer_param_hint"]

# peer name -> (whose, the winnow components it maps to, for `winnow steps NAME` to show (a step's name, or
# KIND:NAME for a reader, writer, executor or stage type), how)
PEERS: dict[str, tuple[str, tuple[str, ...], str]] = {
    # --- datatrove 0.10 (datatrove.pipeline.*) ---
    "WarcReader": ("datatrove", ("reader:warc",), "reader {type: warc}"),
    "JsonlReader": ("datatrove", ("reader:jsonl",), "reader {type: jsonl, format: datatrove}"),
    "ParquetReader": ("datatrove", ("reader:parquet",), "reader {type: parquet, format: datatrove}"),
    "HuggingFaceDatasetReader": ("datatrove", ("reader:parquet",), "no Hub reader: download the dataset's Parquet files "
                                 "and read them with {type: parquet, format: datatrove}"),
    "Trafilatura": ("datatrove", ("html_extract",), "html_extract (backend: trafilatura needs pip install "
                    "trafilatura; the default backend combined is resiliparse-based); the first step of a WARC stage"),
    "ReadabilityInscriptis": ("datatrove", ("html_extract",), "html_extract (no readability backend)"),
    "URLFilter": ("datatrove", ("url_filter",), "url_filter (variant datatrove; blocklist: datatrove for its UT1 "
                  "lists); it may come before html_extract, as in FineWeb"),
    "LanguageFilter": ("datatrove", ("language",), "language (languages: [en], min_score: 0.65)"),
    "GopherRepetitionFilter": ("datatrove", ("gopher_repetition",), "gopher_repetition"),
    "GopherQualityFilter": ("datatrove", ("gopher_quality",), "gopher_quality"),
    "C4QualityFilter": ("datatrove", ("c4_quality",), "c4_quality (filter_no_terminal_punct: false as FineWeb)"),
    "C4ParagraphFilter": ("datatrove", ("c4_paragraph",), "c4_paragraph"),
    "C4BadWordsFilter": ("datatrove", ("c4_badwords",), "c4_badwords"),
    "FineWebQualityFilter": ("datatrove", ("fineweb_quality",), "fineweb_quality"),
    "FastTextClassifierFilter": ("datatrove", ("classifier",), "classifier (model: your .bin, keep: {label: "
                                 "min_score})"),
    "RegexFilter": ("datatrove", ("regex",), "regex (pattern)"),
    "LambdaFilter": ("datatrove", ("function",), "function (a Python callable)"),
    "SamplerFilter": ("datatrove", ("sample",), "sample (rate, seed)"),
    "FTFYFormatter": ("datatrove", ("unicode_fix",), "unicode_fix"),
    "PIIFormatter": ("datatrove", ("pii",), "pii (only_public_ips: true as datatrove)"),
    "SymbolLinesFormatter": ("datatrove", ("symbol_lines",), "symbol_lines"),
    "MinhashDedupSignature": ("datatrove", ("minhash_dedup",), "one step, minhash_dedup, does signatures, "
                              "buckets, clusters and the filter in its passes (ngram, bands x rows as n_grams, "
                              "num_buckets x hashes_per_bucket; FineWeb's: bands: 14, rows: 8, verify: 0)"),
    "MinhashDedupBuckets": ("datatrove", ("minhash_dedup",), "part of minhash_dedup (one step)"),
    "MinhashDedupCluster": ("datatrove", ("minhash_dedup",), "part of minhash_dedup (one step)"),
    "MinhashDedupFilter": ("datatrove", ("minhash_dedup",), "part of minhash_dedup (one step)"),
    "MinhashConfig": ("datatrove", ("minhash_dedup",), "minhash_dedup's parameters (ngram, bands, rows)"),
    "ExactDedupSignature": ("datatrove", ("exact_dedup",), "exact_dedup (one step)"),
    "ExactFindDedups": ("datatrove", ("exact_dedup",), "part of exact_dedup (one step)"),
    "ExactDedupFilter": ("datatrove", ("exact_dedup",), "part of exact_dedup (one step)"),
    "SentenceDedupSignature": ("datatrove", ("line_dedup",), "line_dedup (unit: sentence); not the same rule: "
                               "datatrove matches runs of 3 sentences and keeps the first, line_dedup removes a "
                               "sentence found in min_docs documents"),
    "SentenceFindDedups": ("datatrove", ("line_dedup",), "part of line_dedup (one step)"),
    "SentenceDedupFilter": ("datatrove", ("line_dedup",), "part of line_dedup (one step)"),
    "ESDatasetToSequence": ("datatrove", ("substring_dedup",), "substring_dedup (one step, suffix arrays)"),
    "ESMergeSequences": ("datatrove", ("substring_dedup",), "part of substring_dedup (one step)"),
    "ESRangeRemover": ("datatrove", ("substring_dedup",), "part of substring_dedup (one step)"),
    "NGramsDecontIndexer": ("datatrove", ("decontaminate",), "decontaminate (variant: datatrove)"),
    "NGramsDecontFilter": ("datatrove", ("decontaminate",), "decontaminate (variant: datatrove)"),
    "DocumentTokenizer": ("datatrove", ("tokenize", "writer:datatrove"), "the tokenize step, then the writer {type: "
                          "datatrove, tokenizer: ...} (nanotron's .ds files)"),
    "MegatronDocumentTokenizer": ("datatrove", ("tokenize", "writer:megatron"), "the tokenize step, then the writer "
                                  "{type: megatron}"),
    "DocumentTokenizerMerger": ("datatrove", (), "winnow shuffle-merge (a command: winnow "
                                "shuffle-merge -h)"),
    "TokensCounter": ("datatrove", ("tokenize",), "tokenize (counts in stats.json and the report)"),
    "JsonlWriter": ("datatrove", ("writer:jsonl",), "writer {type: jsonl, format: datatrove}"),
    "ParquetWriter": ("datatrove", ("writer:parquet",), "writer {type: parquet, format: datatrove}"),
    "LocalPipelineExecutor": ("datatrove", ("executor:local",), "executor {type: local} (--workers N as tasks/workers)"),
    "RayPipelineExecutor": ("datatrove", ("executor:ray",), "executor {type: ray}"),
    "SlurmPipelineExecutor": ("datatrove", ("executor:ray",), "no Slurm executor: a Ray cluster started on the Slurm "
                              "allocation, executor {type: ray} (docs/scaling.md)"),
    "PipelineStep": ("datatrove", ("function",), "a Step of your own (Map, Filter or Tagger; docs/developing.md), "
                     "or the function step"),
    "BaseFilter": ("datatrove", ("function",), "a Filter of your own (reject(doc) -> Reject(reason, value, "
                   "threshold) or None; docs/developing.md), or the function step (True keeps, False drops)"),
    # --- Dolma taggers (dolma tag --taggers ...) and commands ---
    "BaseTagger": ("Dolma", ("function",), "a Tagger of your own (score(doc) -> dict, kept as attributes "
                   "<step>.<key>; docs/developing.md), or the function step returning a dict"),
    "gopher_v1": ("Dolma", ("gopher_quality", "gopher_repetition"), "gopher_quality and gopher_repetition; "
                  "written with format: dolma their signals are attributes winnow__<step>__<signal>"),
    "c4_v1": ("Dolma", ("c4_quality",), "c4_quality"),
    "c4_v2": ("Dolma", ("c4_quality",), "c4_quality"),
    "ft_lang_id_en_doc_v2": ("Dolma", ("language",), "language (languages: [en])"),
    "ft_lang_id_doc_v1": ("Dolma", ("language",), "language"),
    "ft_lang_id_paragraph_v1": ("Dolma", ("paragraph_language",), "paragraph_language"),
    "ft_lang_id_en_paragraph_v2": ("Dolma", ("paragraph_language",), "paragraph_language"),
    "ft_lang_id_en_paragraph_with_doc_score_v2": ("Dolma", ("paragraph_language",), "paragraph_language"),
    "pii_regex_v1": ("Dolma", ("pii",), "pii (redacts, and records each span as an edit)"),
    "pii_regex_v2": ("Dolma", ("pii",), "pii"),
    "pii_regex_with_counts_v2": ("Dolma", ("pii",), "pii (pii.redactions counts them)"),
    "pii_regex_with_counts_fast_v2": ("Dolma", ("pii",), "pii (pii.redactions counts them)"),
    "char_length_v1": ("Dolma", ("length",), "length (min_chars, max_chars)"),
    "char_length_with_paragraphs_v1": ("Dolma", ("length",), "length"),
    "repetitions_v1": ("Dolma", ("repetition",), "repetition (variant: repetitions_v1, the default)"),
    "paragraph_repetitions_v1": ("Dolma", ("repetition",), "repetition (variant: paragraph_repetitions_v1)"),
    "tokenizer_repetitions_v1": ("Dolma", ("repetition",), "repetition (variant: tokenizer_repetitions_v1)"),
    "paragraph_tokenizer_repetitions_v1": ("Dolma", ("repetition",),
                                           "repetition (variant: paragraph_tokenizer_repetitions_v1)"),
    "tokenizer_repetitions_v2r2": ("Dolma", ("repetition",), "repetition (variant: tokenizer_repetitions_v2r2)"),
    "jigsaw_hatespeech_document_v2": ("Dolma", ("classifier",), "classifier with that fastText model file "
                                      "(model: PATH)"),
    "jigsaw_nsfw_document_v1": ("Dolma", ("classifier",), "classifier with that fastText model file (model: PATH)"),
    "random_number_v1": ("Dolma", ("sample",), "sample (rate, seed: the same documents on every run)"),
    # --- NeMo Curator (nemo_curator.*) ---
    "ScoreFilter": ("NeMo Curator", (), "every winnow filter step both scores (attributes <step>.<signal>) and "
                    "filters; on_drop: annotate keeps every document with its verdicts (ScoreFilter's score_field "
                    "without the filtering)"),
    "Score": ("NeMo Curator", (), "on_drop: annotate (each step's signals as attributes, nothing dropped)"),
    "Filter": ("NeMo Curator", (), "a filter step; winnow apply re-thresholds an annotate run's recorded scores"),
    "Sequential": ("NeMo Curator", (), "a stage's steps: list, run in order"),
    "DocumentDataset": ("NeMo Curator", ("reader:jsonl", "reader:parquet"), "a stage's reader: {type: jsonl} or {type: "
                        "parquet} (text and id fields by default; text_key, id_key)"),
    "AddId": ("NeMo Curator", ("reader:jsonl",), "the readers give every document an id: id_key, or FILE-STEM:LINE when "
              "the records have none"),
    "DocumentFilter": ("NeMo Curator", ("function",), "a Filter of your own: reject(doc) does score_document and "
                       "keep_document in one (docs/developing.md), or the function step"),
    "DocumentModifier": ("NeMo Curator", ("function",), "a Map of your own: map(doc) edits with "
                         "doc.replace_spans, so each edit is recorded (docs/developing.md)"),
    "Modify": ("NeMo Curator", (), "an editing step (unicode_fix, pii, c4_quality's line removal): every edit is "
               "recorded with the removed text"),
    "UnicodeReformatter": ("NeMo Curator", ("unicode_fix",), "unicode_fix (ftfy)"),
    "PiiModifier": ("NeMo Curator", ("pii",), "pii (regexes: e-mail, IP, phone, card; no Presidio NER)"),
    "WordCountFilter": ("NeMo Curator", ("gopher_quality",), "gopher_quality's word-count rule (min_words, "
                        "max_words); length counts characters"),
    "MeanWordLengthFilter": ("NeMo Curator", ("gopher_quality",), "gopher_quality (min_mean_word_length, "
                             "max_mean_word_length)"),
    "SymbolsToWordsFilter": ("NeMo Curator", ("gopher_quality",), "gopher_quality (its symbol-to-word rule)"),
    "BulletsFilter": ("NeMo Curator", ("gopher_quality",), "gopher_quality (its bullet-lines rule)"),
    "EllipsisFilter": ("NeMo Curator", ("gopher_quality",), "gopher_quality (its ellipsis-lines rule)"),
    "CommonEnglishWordsFilter": ("NeMo Curator", ("gopher_quality",), "gopher_quality (its stop-words rule)"),
    "WordsWithoutAlphabetsFilter": ("NeMo Curator", ("gopher_quality",), "gopher_quality (alpha_words_ratio)"),
    "RepeatedLinesFilter": ("NeMo Curator", ("gopher_repetition",), "gopher_repetition"),
    "RepeatedParagraphsFilter": ("NeMo Curator", ("gopher_repetition",), "gopher_repetition"),
    "RepeatedLinesByCharFilter": ("NeMo Curator", ("gopher_repetition",), "gopher_repetition"),
    "RepeatedParagraphsByCharFilter": ("NeMo Curator", ("gopher_repetition",), "gopher_repetition"),
    "RepeatingTopNGramsFilter": ("NeMo Curator", ("gopher_repetition",), "gopher_repetition (top 2-4-grams)"),
    "RepeatingDuplicateNGramsFilter": ("NeMo Curator", ("gopher_repetition",),
                                       "gopher_repetition (duplicate 5-10-grams)"),
    "PunctuationFilter": ("NeMo Curator", ("fineweb_quality",), "fineweb_quality (line_punct_thr)"),
    "LongWordFilter": ("NeMo Curator", ("c4_quality",), "c4_quality (max_word_length)"),
    "BoilerPlateStringFilter": ("NeMo Curator", ("c4_quality",), "c4_quality (its lorem ipsum and policy rules)"),
    "PornographicUrlsFilter": ("NeMo Curator", ("url_filter",), "url_filter"),
    "SubstringFilter": ("NeMo Curator", ("regex",), "regex (action: keep or drop)"),
    "TokenCountFilter": ("NeMo Curator", ("tokenize",), "tokenize (min_tokens)"),
    "FastTextLangId": ("NeMo Curator", ("language",), "language (fastText lid.176)"),
    "FastTextQualityFilter": ("NeMo Curator", ("classifier",), "classifier (model: your fastText .bin, keep: "
                              "{label: min_score})"),
    "QualityClassifier": ("NeMo Curator", ("classifier", "embedding_classifier"), "no DeBERTa classifiers: a "
                          "fastText model (classifier) or an embedding head (embedding_classifier; train one with "
                          "winnow train-classifier)"),
    "DomainClassifier": ("NeMo Curator", ("classifier", "embedding_classifier"), "no DeBERTa classifiers: a "
                         "fastText model (classifier) or an embedding head (embedding_classifier)"),
    "FineWebEduClassifier": ("NeMo Curator", ("embedding_classifier",), "embedding_classifier (FineWeb-Edu's "
                             "recipe on all-MiniLM-L6-v2 embeddings, not its BERT model)"),
    "ExactDuplicates": ("NeMo Curator", ("exact_dedup",), "exact_dedup (removes the copies itself: no separate "
                        "'remove duplicates' step)"),
    "FuzzyDuplicates": ("NeMo Curator", ("minhash_dedup",), "minhash_dedup (MinHash-LSH, one document kept per "
                        "cluster): bands x rows as num_buckets x hashes_per_bucket; ngram counts words, not "
                        "characters (char_ngrams); verify, the signatures' estimate of Jaccard similarity, does "
                        "jaccard_threshold's false-positive check"),
    "FuzzyDuplicatesConfig": ("NeMo Curator", ("minhash_dedup",), "minhash_dedup's parameters"),
    "SemDedup": ("NeMo Curator", ("semantic_dedup",), "semantic_dedup"),
    "TaskDecontamination": ("NeMo Curator", ("decontaminate",), "decontaminate (benchmarks: files you supply)"),
    "blend_datasets": ("NeMo Curator", ("stage:mix",), "a mix stage, or winnow mix (weights in tokens)"),
    "Shuffle": ("NeMo Curator", (), "winnow shuffle-merge on tokenized output (a seeded global shuffle)"),
    "get_client": ("NeMo Curator", ("executor:local", "executor:ray"), "no Dask: executor {type: local} on one "
                   "machine (--workers N), {type: ray} on a cluster"),
    "download_common_crawl": ("NeMo Curator", ("reader:warc", "reader:wet"), "no downloader: fetch the WARC or "
                              "WET files yourself (or read them from S3 with an fsspec path) and give them to "
                              "--input"),
}

_READER = {"data_folder": "paths (a folder, a glob or a list)", "glob_pattern": "paths (the glob itself: "
           "'data/**/*.jsonl.gz')", "paths_file": "paths (a list)", "recursive": "paths ('**' in the glob)"}
_WRITER = {"output_folder": "-o DIR (run.output_dir); each stage writes under kept/<stage>/",
           "output_filename": "nothing: shards are named 00000, 00001, ..."}
# winnow type -> {a peer's parameter name: what it is in winnow}; a parameter of the same name needs no entry.
PEER_PARAMS: dict[str, dict[str, str]] = {
    "jsonl": {**_READER, **_WRITER}, "parquet": {**_READER, **_WRITER}, "warc": _READER,
    "language": {"language_threshold": "min_score", "backend": "model_path (a fastText model; lid.176 by "
                 "default)"},
    "gopher_quality": {"min_doc_words": "min_words", "max_doc_words": "max_words",
                       "min_avg_word_length": "min_mean_word_length", "max_avg_word_length": "max_mean_word_length",
                       "max_symbol_word_ratio": "max_hash_word_ratio and max_ellipsis_word_ratio (one each)",
                       "max_non_alpha_words_ratio": "min_alpha_words_ratio (the same value: datatrove's name "
                       "is the inverse of what it checks)"},
    "gopher_repetition": {"top_n_grams": "top_2_gram_frac, top_3_gram_frac, top_4_gram_frac (one parameter "
                          "each)", "dup_n_grams": "dup_5_gram_frac ... dup_10_gram_frac (one parameter each)"},
    "minhash_dedup": {"n_grams": "ngram", "num_buckets": "bands", "hashes_per_bucket": "rows",
                      "jaccard_threshold": "verify (on the signatures' estimate)",
                      "char_ngrams": "nothing: ngram counts words"},
    "pii": {"only_remove_public_ips": "only_public_ips", "remove_emails": "kinds (a list: email, ip_address, "
            "phone, credit_card)", "remove_ips": "kinds (a list: email, ip_address, phone, credit_card)"},
    "tokenize": {"tokenizer_name_or_path": "tokenizer (hf://OWNER/REPO/tokenizer.json for a Hub name)"},
    "datatrove": {"tokenizer_name_or_path": "tokenizer (hf://OWNER/REPO/tokenizer.json for a Hub name)",
                  "eos_token": "eos", "output_folder": "-o DIR (run.output_dir)"},
    "megatron": {"tokenizer_name_or_path": "tokenizer", "eos_token": "eos"},
}

_KEY = re.compile(r"[^a-z0-9]")


def _norm(name: str) -> str:
    return _KEY.sub("", name.lower())


_BY_KEY = {_norm(k): (k, *v) for k, v in PEERS.items()}


def peer_entry(name: str) -> tuple[str, str, tuple[str, ...], str] | None:
    """(the peer's spelling, whose name, winnow components, how) for a peer's component name, else None."""
    name = str(name)
    # a qualified name as the peers' YAML configs write them (NeMo Curator's heuristic_filter_en.yaml:
    # nemo_curator.filters.heuristic_filter.WordCountFilter; datatrove.pipeline.filters.GopherQualityFilter)
    return _BY_KEY.get(_norm(name)) or _BY_KEY.get(_norm(name.rsplit(".", 1)[-1]))


def peer_hint(name: str) -> str | None:
    """A sentence naming winnow's counterpart of a datatrove/Dolma/NeMo Curator name, or None."""
    hit = peer_entry(name)
    if hit is None:
        return None
    peer_name, whose, _targets, how = hit
    return f"{peer_name!r} is {whose}'s name; in winnow: {how} (docs/migrating.md maps the rest)"


def peer_param_hint(type_name: str, param: str) -> str | None:
    """What a datatrove / NeMo Curator parameter name is called in winnow's ``type_name``, or None."""
    how = PEER_PARAMS.get(type_name, {}).get(param)
    return None if how is None else f"{param!r} is a datatrove/NeMo Curator name; in winnow: {how}"
