"""Token counts, and the token ids the tokenized writers (``winnow.io.tokenized``) put on disk.

``tokenize`` applies a tokenizer to each kept document's text and stores the count as the attribute
``tokenize.tokens`` (summed into ``stats.json`` as the stage's ``tokens_out``). The ids themselves stay with the
document object in memory (``segments(doc).memo``), keyed on the tokenizer and the text's identity, so a tokenized
writer in the same stage writes them without encoding the text again; a step that changes the text afterwards
invalidates them.

Tokenizers (``tokenizer`` parameter):

* a Hugging Face ``tokenizers`` file (``tokenizer.json``): a local path, any fsspec URL, or
  ``hf://owner/repo[@revision]/tokenizer.json``; remote files are downloaded once into the model cache under a file
  lock (the classifier step's cache: ``cache_dir``, else ``$WINNOW_CACHE/models``, else ``~/.cache/winnow/models``);
* ``tiktoken:NAME`` (``tiktoken:cl100k_base``): a tiktoken encoding, when tiktoken has its file offline
  (``$TIKTOKEN_CACHE_DIR``); winnow never fetches one at run time inside a worker;
* ``tiktoken:/path/to/encoding.json``: a tiktoken encoding from local files only, described as tiktoken's own
  constructors describe one: ``{"name": ..., "pat_str": <split regex>, "mergeable_ranks": "<ranks file, relative
  to the JSON>", "special_tokens": {"<|endoftext|>": 100257}}`` (the ranks file in tiktoken's ``.tiktoken`` format,
  e.g. OpenAI's cl100k_base.tiktoken or Llama 3's tokenizer.model);
* ``bytes``: the text's UTF-8 bytes as ids 0-255, with ``<|endoftext|>`` = 256 and ``<|startoftext|>`` = 257 (a
  byte-level model's input, and the default so that the step runs anywhere without a file).

Batching: per core, encoding documents one at a time costs the same as ``encode_batch_fast`` over the whole shard
(tokenizers 0.23, 1,500 crawl pages, 11.9 M characters, one thread: 5.4-5.8 s one at a time vs 4.9-5.8 s in one
batch, run-to-run noise larger than the difference), because the per-call cost is microseconds against
milliseconds of BPE work per page. So the step encodes per document (the runner's per-document protocol, budget and
quarantine stay exact) and the library's thread pool stays off inside workers: the executors already run one
process per core, and threads on top would only contend (``threads`` turns it on for a single-process run).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..document import Document
from ..registry import register
from ..step import Context, Filter, Reject
from ..text import segments

__all__ = ["Tokenize", "TokenizerHandle", "load_tokenizer", "token_ids", "BYTES_EOS", "BYTES_BOS"]

BYTES_EOS, BYTES_BOS = 256, 257


class TokenizerHandle:
    """One loaded tokenizer: ``encode`` / ``encode_batch`` give ids without special tokens; ``token_id`` looks a
    special token up by its text; ``vocab_size`` bounds every id (writers pick uint16 or uint32 from it)."""

    def __init__(self, spec: str, encode_batch: Any, token_id: Any, vocab_size: int):
        self.spec = spec
        self._encode_batch = encode_batch
        self._token_id = token_id
        self.vocab_size = int(vocab_size)

    def encode(self, text: str) -> list[int]:
        return self._encode_batch([text])[0]

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return self._encode_batch(texts)

    def token_id(self, token: str) -> int | None:
        """The id of a special token given by its text, None if the vocabulary lacks it."""
        return self._token_id(token) if token else None


def _bytes_tokenizer() -> TokenizerHandle:
    specials = {"<|endoftext|>": BYTES_EOS, "<|startoftext|>": BYTES_BOS}
    return TokenizerHandle("bytes", lambda texts: [list(t.encode("utf-8", "surrogatepass")) for t in texts],
                           specials.get, 258)


def _hf_tokenizer(spec: str, path: Path, threads: bool) -> TokenizerHandle:
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ImportError("the tokenize step needs Hugging Face tokenizers: pip install 'winnow[tokens]'") from exc
    tok = Tokenizer.from_file(str(path))
    # encode_batch_fast skips the offsets (the ids are all a trainer needs); it exists since tokenizers 0.20
    fast = getattr(tok, "encode_batch_fast", tok.encode_batch)

    def encode_batch(texts: list[str]) -> list[list[int]]:
        if len(texts) == 1 or threads:  # a one-text call never starts the thread pool
            return [e.ids for e in fast(texts, add_special_tokens=False)]
        # several texts without threads: one call each keeps the library's pool (process-global) idle
        return [fast([t], add_special_tokens=False)[0].ids for t in texts]

    return TokenizerHandle(spec, encode_batch, tok.token_to_id, tok.get_vocab_size(with_added_tokens=True))


def _tiktoken(spec: str) -> TokenizerHandle:
    name = spec[len("tiktoken:"):]
    try:
        import tiktoken
    except ImportError as exc:
        raise ImportError(f"{spec}: tiktoken is not installed (pip install 'winnow[tiktoken]')") from exc
    if name.endswith(".json") or "/" in name or os.sep in name:
        enc = _tiktoken_from_file(spec, name[len("file://"):] if name.startswith("file://") else name)
    else:
        try:
            enc = tiktoken.get_encoding(name)
        except Exception as exc:  # unknown name, or its file is not cached and there is no network
            raise ValueError(f"{spec}: tiktoken cannot load encoding {name!r} here ({exc}); put its file in "
                             "$TIKTOKEN_CACHE_DIR, describe it in a local JSON file (tiktoken:/path/enc.json, see "
                             "winnow steps tokenize) or use a tokenizer.json") from exc

    def token_id(token: str) -> int | None:
        try:
            return enc.encode_single_token(token)
        except KeyError:
            return None

    # disallowed_special=(): a document that contains "<|endoftext|>" as text is encoded as text, not as the
    # special token (tiktoken raises by default), as Hugging Face's add_special_tokens=False does
    return TokenizerHandle(spec, lambda texts: enc.encode_ordinary_batch(texts, num_threads=1), token_id, enc.n_vocab)


_TIKTOKEN_KEYS = ("name", "pat_str", "mergeable_ranks", "special_tokens", "explicit_n_vocab")


def _tiktoken_from_file(spec: str, path_s: str) -> Any:
    """A tiktoken Encoding from local files, never the network: a JSON description holding what tiktoken's own
    encoding constructors return (``pat_str``, ``special_tokens``, optional ``name`` and ``explicit_n_vocab``) with
    ``mergeable_ranks`` naming a ranks file (tiktoken's ``.tiktoken`` format: one base64 token and its rank per line;
    a path relative to the JSON). A ranks file alone holds no split pattern and no special tokens, and guessing the
    pattern would give other ids than the trainer's, so it must come with its JSON."""
    import base64
    import json

    import tiktoken

    path = Path(path_s).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"tokenizer not found: {spec}")
    if path.suffix != ".json":
        raise ValueError(f"{spec}: a tiktoken ranks file holds no split pattern or special tokens; describe it in a "
                         f'JSON file ({{"pat_str": "...", "mergeable_ranks": "{path.name}", "special_tokens": '
                         '{"<|endoftext|>": N}}) and give tiktoken:/path/to/that.json')
    try:
        desc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{spec}: not a JSON file ({exc})") from None
    if not isinstance(desc, dict) or not isinstance(desc.get("pat_str"), str) \
            or not isinstance(desc.get("mergeable_ranks"), str):
        raise ValueError(f"{spec}: expected a JSON object with pat_str (the split regex) and mergeable_ranks (the "
                         "ranks file), and optionally special_tokens, name, explicit_n_vocab")
    unknown = sorted(set(desc) - set(_TIKTOKEN_KEYS))
    if unknown:
        raise ValueError(f"{spec}: unknown key(s) {unknown} (keys: {', '.join(_TIKTOKEN_KEYS)})")
    specials = desc.get("special_tokens") or {}
    if not isinstance(specials, dict) or not all(isinstance(k, str) and type(v) is int for k, v in specials.items()):
        raise ValueError(f"{spec}: special_tokens must map token texts to ids")
    ranks_path = (path.parent / desc["mergeable_ranks"]).expanduser()
    ranks: dict[bytes, int] = {}
    try:
        # read here rather than with tiktoken.load.load_tiktoken_bpe, which copies every file it reads into a cache
        # folder (keyed by its path) first: a local file needs no copy
        with open(ranks_path, "rb") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                token, rank = line.split()
                ranks[base64.b64decode(token, validate=True)] = int(rank)
    except FileNotFoundError:
        raise FileNotFoundError(f"{spec}: its ranks file {ranks_path} is not there") from None
    except ValueError as exc:
        raise ValueError(f"{spec}: {ranks_path} line {n} is not '<base64 token> <rank>' ({exc})") from None
    try:
        return tiktoken.Encoding(str(desc.get("name") or path.stem), pat_str=desc["pat_str"], mergeable_ranks=ranks,
                                 special_tokens=specials, explicit_n_vocab=desc.get("explicit_n_vocab"))
    except Exception as exc:  # a bad regex, a special token colliding with a rank, a wrong explicit_n_vocab
        raise ValueError(f"{spec}: tiktoken refuses this encoding: {exc}") from None


def resolve_tokenizer_file(spec: str, cache_dir: str = "") -> Path:
    """A local file for a tokenizer.json given as a path, fsspec URL or hf:// address (downloaded once, locked)."""
    from .classify import _download, hf_url, model_cache_dir

    try:
        if spec.startswith("hf://"):
            return _download(hf_url(spec), model_cache_dir(cache_dir))
        if spec.startswith("file://"):
            spec = spec[len("file://"):]
        elif "://" in spec:
            return _download(spec, model_cache_dir(cache_dir))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"tokenizer not found: {spec}") from exc
    path = Path(spec).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"tokenizer not found: {spec} (a tokenizer.json path, an fsspec URL, "
                                "hf://owner/repo/tokenizer.json, tiktoken:NAME or bytes)")
    return path


def check_tokenizer_spec(spec: str) -> None:
    """Refuse, before the run, a tokenizer named by a local path that is not there: a bare Hub name as datatrove's
    DocumentTokenizer and transformers take it (``gpt2``) failed every shard of the tokenizing pass, after the
    passes before it had run. Addresses (``hf://``, an fsspec URL) and ``tiktoken:`` are checked when loaded."""
    if spec == "bytes" or spec.startswith("tiktoken:") or ("://" in spec and not spec.startswith("file://")):
        return
    path = spec[len("file://"):] if spec.startswith("file://") else spec
    if Path(path).expanduser().is_file():
        return
    if Path(path).expanduser().is_dir():
        # a folder as transformers' save_pretrained writes one (a datatrove user's local tokenizer_name_or_path):
        # it read "no such file" and the Hub advice
        inner = Path(path) / "tokenizer.json"
        raise ValueError(f"tokenizer {spec!r} is a folder; give the tokenizer.json in it: {inner}" if
                         inner.expanduser().is_file() else f"tokenizer {spec!r} is a folder with no tokenizer.json; "
                         "give the path of a tokenizer.json")
    if path.startswith(("/", ".", "~")) or Path(path).suffix in (".json", ".model", ".tiktoken", ".txt"):
        # a path, not a Hub name: "hf://OWNER/tokenizer.json/tokenizer.json" would send the user astray
        where = "" if Path(path).expanduser().is_absolute() else f" (relative to {os.getcwd()})"
        raise ValueError(f"tokenizer {spec!r}: no such file{where}")
    name = path.strip("/")
    repo = name if name.count("/") == 1 else f"OWNER/{name}" if name and "/" not in name else "OWNER/REPO"
    hub = "hf://openai-community/gpt2/tokenizer.json" if name == "gpt2" else f"hf://{repo}/tokenizer.json"
    raise ValueError(f"tokenizer {spec!r}: no such file. A Hugging Face Hub name (datatrove's "
                     f"tokenizer_name_or_path) is written as its tokenizer.json address, {hub}, fetched once into "
                     "cache_dir; or tiktoken:NAME, or the path of a local tokenizer.json")


_LOADED: dict[tuple[str, str, bool], TokenizerHandle] = {}  # one per process: the step and the writer share it
_LOCK = threading.Lock()


def load_tokenizer(spec: str, cache_dir: str = "", threads: bool = False) -> TokenizerHandle:
    key = (spec, cache_dir, threads)
    with _LOCK:
        handle = _LOADED.get(key)
        if handle is None:
            if spec == "bytes":
                handle = _bytes_tokenizer()
            elif spec.startswith("tiktoken:"):
                handle = _tiktoken(spec)
            else:
                handle = _hf_tokenizer(spec, resolve_tokenizer_file(spec, cache_dir), threads)
            _LOADED[key] = handle
    return handle


def _memo_key(spec: str) -> str:
    return "token_ids:" + spec


def token_ids(doc: Document, tok: TokenizerHandle) -> list[int] | None:
    """The ids a tokenize step with this tokenizer computed for the document's current text, or None."""
    return segments(doc)._memo.get(_memo_key(tok.spec))


def set_token_ids(doc: Document, tok: TokenizerHandle, ids: list[int]) -> None:
    segments(doc)._memo[_memo_key(tok.spec)] = ids


@register("tokenize")
@dataclass
class Tokenize(Filter):
    """Count each document's tokens with a real tokenizer (tokenizer.json, tiktoken:NAME or bytes) as attribute
    tokenize.tokens, keeping the ids for a tokenized writer; optionally drop documents with too few tokens."""

    # tokenizer.json (local path, fsspec URL or hf://owner/repo[@revision]/tokenizer.json), tiktoken:NAME (cached
    # offline), tiktoken:/path/encoding.json ({"pat_str", "mergeable_ranks": "<.tiktoken file>", "special_tokens"}),
    # or bytes
    tokenizer: str = "bytes"
    # drop documents with fewer tokens than this (0 keeps all); the count excludes BOS/EOS
    min_tokens: int = 0
    # where remote tokenizer files are cached ("" = $WINNOW_CACHE/models or ~/.cache/winnow/models)
    cache_dir: str = ""
    # let the tokenizer use its own thread pool: only for a single-process run on an otherwise idle machine
    threads: bool = False
    REASONS = ("too_few_tokens",)
    THRESHOLDS = {"min_tokens": ("tokenize.tokens", "<", "too_few_tokens")}
    # the attribute holding the count: the runner sums it per step (stats.json's exact tokens at this step, and the
    # tokens-per-character ratio behind the estimate at every other step)
    COUNTS_TOKENS = "tokenize.tokens"

    def validate(self) -> None:
        super().validate()
        if not self.tokenizer:
            raise ValueError("tokenizer is required: a tokenizer.json path/URL, hf://owner/repo/tokenizer.json, "
                             "tiktoken:NAME or bytes")
        check_tokenizer_spec(self.tokenizer)
        if self.min_tokens < 0:
            raise ValueError(f"min_tokens must be >= 0, got {self.min_tokens}")

    def setup(self, ctx: Context) -> None:
        if not self.threads:
            # read by tokenizers when its pool first starts; a user's explicit setting wins
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self._tok = load_tokenizer(self.tokenizer, self.cache_dir, self.threads)

    def reject(self, doc: Document) -> Reject | None:
        tok = self._tok
        ids = tok.encode(doc.text)
        set_token_ids(doc, tok, ids)
        n = len(ids)
        doc.attributes["tokenize.tokens"] = n
        if n < self.min_tokens:
            return Reject("too_few_tokens", n, self.min_tokens)
        return None
