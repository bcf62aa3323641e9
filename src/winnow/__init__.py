"""winnow: clean, deduplicated, explainable training text from raw web crawl.

Components by the names pipeline files use: ``winnow.steps.gopher_quality``, ``winnow.readers.jsonl``,
``winnow.writers.parquet``. ``run_pipeline`` returns a ``RunResult`` (``summary``, ``counts``, ``kept()``,
``rejected()``, ``quarantined()``); ``open_run(RUN_DIR)`` reads a finished run folder the same way.
"""

from . import readers, steps, writers
from .config import load_pipeline, pipeline_from_dict
from .document import Document, Drop, Edit, Quarantine
from .pipeline import Pipeline, Stage
from .registry import lookup, register
from .results import open_run
from .run import RunResult, run_pipeline
from .step import Context, CorpusStep, Filter, Map, Reject, Step, Tagger
from .text import segments
from ._version import __version__

__all__ = ["__version__", "Document", "Drop", "Edit", "Quarantine", "Step", "Map", "Tagger", "Filter", "Reject", "CorpusStep",
           "Context", "Pipeline", "Stage", "register", "lookup", "load_pipeline", "pipeline_from_dict",
           "run_pipeline", "RunResult", "open_run", "segments", "steps", "readers", "writers"]
