"""winnow: clean, deduplicated, explainable training text from raw web crawl."""

from .config import load_pipeline, pipeline_from_dict
from .document import Document, Drop, Edit, Quarantine
from .pipeline import Pipeline, Stage
from .registry import lookup, register
from .run import run_pipeline
from .step import Context, CorpusStep, Filter, Map, Reject, Step, Tagger
from .text import segments

__all__ = ["Document", "Drop", "Edit", "Quarantine", "Step", "Map", "Tagger", "Filter", "Reject", "CorpusStep",
           "Context", "Pipeline", "Stage", "register", "lookup", "load_pipeline", "pipeline_from_dict",
           "run_pipeline", "segments"]
__version__ = "0.1.0"
