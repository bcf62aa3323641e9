"""Exceptions winnow raises on purpose.

    WinnowError
    ├── ConfigError        the pipeline file or Python spec is wrong; raised before any document is read
    ├── LedgerError        documents in != kept + rejected + quarantined at the end of a stage
    ├── ShardFailed        a shard kept failing after its retries; carries the shard name and the cause
    ├── SetupFailed        a step's setup failed in a way no retry changes (a package or a model file missing):
    │                      raised in a worker, before any document is read; the executor stops the stage at it
    └── TooMuchQuarantined the run finished but a stage quarantined more than run.max_quarantined of its records
                           (default: all of them) or read none; carries the run's result

Bad *input* is never an exception that stops a run: readers turn it into Quarantine records.
"""

__all__ = ["WinnowError", "ConfigError", "LedgerError", "ShardFailed", "SetupFailed", "TooMuchQuarantined"]


class WinnowError(Exception):
    pass


class ConfigError(WinnowError):
    pass


class LedgerError(WinnowError):
    pass


class ShardFailed(WinnowError):
    def __init__(self, shard: str, cause: str):
        super().__init__(f"shard {shard} failed: {cause}")
        self.shard = shard
        self.cause = cause


class SetupFailed(WinnowError):
    # one argument (the message): it crosses from a worker process to the driver by pickling, which rebuilds an
    # exception from its args
    pass


class TooMuchQuarantined(WinnowError):
    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result  # the finished run's RunResult: its outputs and stats are written
