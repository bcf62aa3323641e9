"""Built-in steps, one module per family. Every module here is imported on the first registry lookup.

Every step type is also an attribute under its registry name, the name a pipeline file uses::

    from winnow import steps
    steps.gopher_quality(min_words=100)           # the GopherQuality class
    from winnow.steps import language, minhash_dedup

(No module here may share a registered step's name: the module would hide the class. tests/test_api.py checks.)
"""

from .._namespace import attribute as _attribute
from .._namespace import listing as _listing


def __getattr__(name: str):
    return _attribute("step", globals(), name)


def __dir__() -> list[str]:
    return _listing("step", globals())
