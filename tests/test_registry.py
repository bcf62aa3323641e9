"""The registry finds a built-in by reading the modules' sources, and imports only the module that defines it."""

import subprocess
import sys


def test_lookup_imports_only_the_defining_module():
    # A fresh interpreter: the FineWeb chain's components must not pull in pyarrow, the coherence models or the
    # dedup stores (start-up cost paid by every process and worker: bench/results/e2e.md).
    code = (
        "import sys\n"
        "from winnow.registry import lookup\n"
        "for n in ('html_extract', 'language', 'gopher_repetition', 'gopher_quality', 'c4_quality',"
        " 'fineweb_quality'):\n"
        "    assert lookup(n).name == n\n"
        "assert lookup('warc', 'reader').name == 'warc' and lookup('jsonl', 'writer').name == 'jsonl'\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('winnow.steps.', 'winnow.io.', 'pyarrow')))\n"
        "print(' '.join(loaded))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded = set(out.stdout.split())
    assert "winnow.steps.extract" in loaded and "winnow.io.warc" in loaded
    for heavy in ("pyarrow", "winnow.io.parquet", "winnow.steps.coherence", "winnow.steps.dedup", "winnow.steps.embedding"):
        assert heavy not in loaded, sorted(loaded)


def test_source_index_agrees_with_the_full_import():
    from winnow import registry

    index = registry._builtin_modules()
    registry.load_builtins()
    registered = {(kind, name): cls.__module__ for kind, classes in registry._REGISTRY.items()
                  for name, cls in classes.items() if cls.__module__.startswith(("winnow.steps.", "winnow.io."))}
    assert index == registered


def test_unknown_name_still_suggests(monkeypatch):
    import pytest

    from winnow.errors import ConfigError
    from winnow.registry import lookup

    with pytest.raises(ConfigError, match="did you mean 'gopher_quality'"):
        lookup("gopher_qualty")
