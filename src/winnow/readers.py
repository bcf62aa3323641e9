"""Every reader type under its registry name, the name a pipeline file uses: ``from winnow import readers;
readers.jsonl(...)``. ``winnow steps --kind reader`` lists them with their parameters."""

from ._namespace import attribute as _attribute
from ._namespace import listing as _listing


def __getattr__(name: str):
    return _attribute("reader", globals(), name)


def __dir__() -> list[str]:
    return _listing("reader", globals())
