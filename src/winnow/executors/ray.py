"""Ray tasks on a cluster: the same shard tasks, markers and ledger as the local executor, Ray's scheduler.

winnow builds no scheduler of its own: every shard pass is one Ray task, a corpus step's reduce fans out as Ray
tasks, and Ray retries a task whose worker process died (killed, out of memory, node lost). The driver (this
process) keeps planning, barriers, resume and the ledger, so it must see the run folder, and so must every worker:
on more than one node the run folder and the inputs have to be on a file system all nodes mount (see
docs/scaling.md). A probe task on each node checks that, and that the node runs the same winnow, before the first
shard starts, so a misconfigured cluster fails in seconds with the node named instead of shard by shard.

``address``:
  * ``auto``  (default) connect to a running cluster (``RAY_ADDRESS`` or the one ``ray start`` left on this
    machine); if there is none, start a local Ray instance for this run and stop it at the end
  * ``local`` always start a private local instance (benchmarks; never joins someone else's cluster)
  * ``host:port`` or ``ray://host:10001`` a given cluster (Ray Client for ``ray://``)
If this process already called ``ray.init``, that connection is used and left open.

``forward_env``: environment variables (names, or prefixes ending in ``*``) copied from the driver to every task,
so the storage settings that reach the driver (``AWS_ENDPOINT_URL``, credentials, ``FSSPEC_*``) reach the workers
that read inputs from and write the run folder to an object store. Only variables set on the driver travel.
"""

from __future__ import annotations

import math
import os
import socket
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import ConfigError
from .base import Executor, NotRun, TaskFailure, retryable, stops_stage

__all__ = ["RayExecutor"]


@dataclass
class _Stopped:
    """What a task returns instead of raising an error no retry helps (``retryable``): Ray retries a task whose
    exception it sees (``retry_exceptions``, which takes only the classes to retry, not those to leave), three times
    on each shard. ``stops``: a step's setup that failed for good, which stops the stage (``stops_stage``); else a
    full disk, a quota or a read-only file system, which fails this shard at once as the other executors do."""

    error: str
    stops: bool = True


def _run_task(task: Any) -> Any:
    # Progress is counted on the driver from each finished shard's result: a callback from a worker would need
    # an actor and a message per 500 documents, which costs more than it tells on a cluster.
    try:
        return task()
    except Exception as exc:
        if not retryable(exc):
            return _Stopped(_error_text(exc), stops_stage(exc))
        raise


def _call(fn: Callable[[Any], Any], item: Any) -> Any:
    return fn(item)


def _probe(run_dir: str | None) -> dict[str, Any]:
    from .._version import __version__
    from ..io.base import as_path

    try:
        sees, why = run_dir is None or as_path(run_dir).is_dir(), ""
    except Exception as exc:  # an object store without credentials or endpoint on this node
        sees, why = False, _error_text(exc)
    return {"host": socket.gethostname(), "pid": os.getpid(), "version": __version__, "sees_run_dir": sees,
            "why": why}


# The settings fsspec's filesystems read from the environment: S3 (and S3-compatible stores), fsspec's own
# configuration, GCS, Azure.
# Where the store is, never who you are: Ray logs a job's runtime_env in plain text and shows it on its dashboard,
# so credentials (AWS_SECRET_ACCESS_KEY, AZURE_STORAGE_KEY, an FSSPEC_S3 JSON with a secret in it) travel only when
# a user names them in forward_env; nodes normally have their own (instance roles).
STORAGE_ENV = ["AWS_ENDPOINT_URL*", "AWS_REGION", "AWS_DEFAULT_REGION", "GOOGLE_CLOUD_PROJECT"]


def _env_to_forward(patterns: list[str]) -> dict[str, str]:
    out = {}
    for k, v in os.environ.items():
        if any(k.startswith(p[:-1]) if p.endswith("*") else k == p for p in patterns):
            out[k] = v
    return dict(sorted(out.items()))


def _error_text(exc: BaseException) -> str:
    """The worker's own exception, one line, as the local executor reports it (not Ray's wrapper and traceback)."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        exc = cause
    name = type(exc).__name__
    if name in ("WorkerCrashedError", "NodeDiedError", "OutOfMemoryError", "ActorDiedError"):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else name
        return f"worker process died ({name}): {first}"
    return "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1]


@dataclass
class RayExecutor(Executor):
    """Ray tasks on a cluster (pip install 'winnow[ray]'); the run folder and inputs must be reachable from every
    node (a shared filesystem or an object store URL)."""

    address: str = "auto"  # 'auto' (the cluster this machine belongs to), 'local', 'host:port' or 'ray://host:port'
    retries: int = 2  # further attempts of a task after its first (a killed worker or an exception)
    num_cpus: float = 1.0  # CPUs Ray reserves for each task: raise it for steps that use threads (a model)
    workers: int = 0  # most tasks in flight at once; 0: as many as the cluster's CPUs allow
    forward_env: list[str] = field(default_factory=lambda: list(STORAGE_ENV))
    progress: bool = True  # Python API only (a pipeline file sets the four above): a bar or a log line per 10%

    def __post_init__(self) -> None:
        if not isinstance(self.address, str) or not self.address:
            raise ConfigError("executor ray: address must be 'auto', 'local', 'host:port' or 'ray://host:port'")
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise ConfigError(f"executor ray: retries must be an integer >= 0, got {self.retries!r}")
        if isinstance(self.num_cpus, bool) or not isinstance(self.num_cpus, (int, float)) or self.num_cpus <= 0:
            raise ConfigError(f"executor ray: num_cpus must be > 0, got {self.num_cpus!r}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 0:
            raise ConfigError(f"executor ray: workers must be an integer >= 0, got {self.workers!r}")
        if isinstance(self.forward_env, str):
            self.forward_env = [self.forward_env]
        if not isinstance(self.forward_env, list) or not all(isinstance(x, str) and x for x in self.forward_env):
            raise ConfigError(f"executor ray: forward_env must be a list of variable names or prefixes ending in "
                              f"'*', got {self.forward_env!r}")
        self.num_cpus = float(self.num_cpus)
        self._cap = self.workers  # what the user asked for; self.workers becomes the parallelism in effect
        self._owns_connection = False
        self._probed: set[str | None] = set()
        self._ray = _import_ray()
        self._connect()
        self.workers = self._parallelism()
        ray = self._ray
        env = {"runtime_env": self._task_env} if self._task_env else {}
        self._shard_fn = ray.remote(num_cpus=self.num_cpus, max_retries=self.retries,
                                    retry_exceptions=True, **env)(_run_task)
        # A reduce piece that raises is a bug to report at once (as the local pool does); only a lost worker is
        # worth running again.
        self._map_fn = ray.remote(num_cpus=self.num_cpus, max_retries=self.retries,
                                  retry_exceptions=False, **env)(_call)

    # --- connection --------------------------------------------------------------------------------------------

    def _connect(self) -> None:
        ray = self._ray
        env = _env_to_forward(self.forward_env)
        # A job-wide runtime environment when this executor connects; per task on the caller's connection (whose
        # job environment is already fixed). Nothing when no variable is set: no separate worker pool.
        self._task_env = None
        if ray.is_initialized():
            if env:
                self._task_env = {"env_vars": env}
            return  # the caller's connection: theirs to close
        addr = self.address.strip()
        opts: dict[str, Any] = {"include_dashboard": False, "log_to_driver": True}
        if env:
            opts["runtime_env"] = {"env_vars": env}
        if addr == "local":
            self._start_local(opts)
        elif addr == "auto":
            try:
                ray.init(address="auto", **_joining(opts))
            except ConnectionError:
                self._start_local(opts)
                return
        else:
            _check_reachable(addr)
            try:
                ray.init(address=addr, **_joining(opts))
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise ConfigError(f"executor ray: cannot connect to the Ray cluster at {addr!r}: {exc}") from exc
        self._owns_connection = True

    def _start_local(self, opts: dict[str, Any]) -> None:
        n = math.ceil(self._cap * self.num_cpus) if self._cap else None  # None: Ray counts this machine's cores
        self._ray.init(num_cpus=n, **opts)
        self._owns_connection = True

    def _parallelism(self) -> int:
        cpus = float(self._ray.cluster_resources().get("CPU", 0.0))
        fit = max(1, int(cpus // self.num_cpus))
        return min(self._cap, fit) if self._cap else fit

    # --- the Executor interface --------------------------------------------------------------------------------

    def run_tasks(self, tasks: list[Any], desc: str = "") -> list[Any]:
        from .local import Progress

        ray = self._ray
        if not tasks:
            return []
        self._preflight(getattr(tasks[0], "run_dir", None))
        # A window of tasks in flight, not all of them: a 100k-shard stage would otherwise put 100k pickled tasks
        # in the driver's memory and Ray's queue at once. Twice the parallelism keeps every slot fed while the
        # driver collects; a user's explicit ``workers`` is a hard cap.
        window = self._cap if self._cap else 2 * self._parallelism()
        results: list[Any] = [None] * len(tasks)
        refs: dict[Any, int] = {}
        nxt = 0
        prog = Progress(len(tasks), desc, enabled=self.progress)
        try:
            while nxt < len(tasks) or refs:
                while nxt < len(tasks) and len(refs) < window:
                    refs[self._shard_fn.remote(tasks[nxt])] = nxt
                    nxt += 1
                done, _ = ray.wait(list(refs), num_returns=1)
                # Collect everything that finished meanwhile, not one per wait: keeps the driver off the critical
                # path when shards are short.
                rest = [r for r in refs if r not in done]
                more = ray.wait(rest, num_returns=len(rest), timeout=0)[0] if rest else []
                for ref in list(done) + list(more):
                    i = refs.pop(ref)
                    try:
                        res = ray.get(ref)
                    except Exception as exc:  # Ray ran it 1 + retries times; the last error stands
                        res = TaskFailure(getattr(tasks[i], "label", repr(tasks[i])), _error_text(exc),
                                          self.retries + 1)
                    if isinstance(res, _Stopped) and not res.stops:  # a full disk: this shard fails, unretried
                        res = TaskFailure(getattr(tasks[i], "label", repr(tasks[i])), res.error, 1)
                    elif isinstance(res, _Stopped):  # the other shards would fail alike: none more is started
                        res = TaskFailure(getattr(tasks[i], "label", repr(tasks[i])), res.error, 1, True)
                        if nxt < len(tasks):
                            prog.note(f"[winnow] {res.label}: {res.error.split(': ', 1)[-1]}; stopping the stage (every shard would "
                                      "fail alike)")
                        for j in range(nxt, len(tasks)):
                            results[j] = NotRun(getattr(tasks[j], "label", repr(tasks[j])))  # not counted done
                        nxt = len(tasks)
                    results[i] = res
                    if isinstance(res, dict):
                        prog.add(int(res.get("in", 0)), int(res.get("chars_in", 0)))
                    prog.shard_done()
        finally:
            # On an interrupt, tasks in flight finish or die with the driver's job; their outputs are atomic and a
            # resume redoes what has no marker. No ray.cancel: it can abort this process (see map).
            prog.close()
        return results

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        ray = self._ray
        if not items:
            return []
        fn_ref = ray.put(fn)  # shipped once, not once per item
        refs = [self._map_fn.remote(fn_ref, x) for x in items]
        try:
            return ray.get(refs)
        except Exception as exc:
            # Let the siblings finish rather than cancel them: ray.cancel racing a task that is finishing aborts
            # the driver process in Ray 2.60 ("Check failed ... Tried to complete task that was not pending"),
            # with force=True (1 in ~10 failing maps on 2 cores) and without it (1 in 150). The error therefore
            # surfaces when the phase's other pieces are done.
            ray.wait(refs, num_returns=len(refs))
            cause = getattr(exc, "cause", None)
            if isinstance(cause, Exception):
                raise cause from exc  # the step's own exception type, as with the local executor
            raise

    def close(self) -> None:
        if self._owns_connection and self._ray.is_initialized():
            self._ray.shutdown()
        self._owns_connection = False

    # --- checks ------------------------------------------------------------------------------------------------

    def _preflight(self, run_dir: str | None) -> None:
        """One probe per node with CPUs: same winnow version as the driver, and the run folder visible."""
        if run_dir in self._probed:
            return
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from .._version import __version__

        ray = self._ray
        nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0]
        probe = ray.remote(num_cpus=0, max_retries=self.retries)(_probe)
        env = {"runtime_env": self._task_env} if self._task_env else {}
        refs = [probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False), **env)
                .remote(run_dir) for n in nodes]
        problems = []
        for node, ref in zip(nodes, refs):
            try:
                info = ray.get(ref)
            except Exception as exc:  # typically winnow is not installed there (ModuleNotFoundError)
                problems.append(f"node {node.get('NodeManagerAddress', '?')} cannot run winnow: {_error_text(exc)}")
                continue
            where = f"node {node.get('NodeManagerAddress', '?')} ({info['host']})"
            if info["version"] != __version__:
                problems.append(f"{where} runs winnow {info['version']}, this driver {__version__}")
            if not info["sees_run_dir"]:
                problems.append(f"{where} cannot see the run folder {run_dir}"
                                + (f" ({info['why']})" if info.get("why") else ""))
        if problems:
            raise ConfigError("executor ray: the cluster cannot run this pipeline: " + "; ".join(problems)
                              + ". Every node needs the same winnow installed and the run folder and inputs on a "
                              "file system all nodes mount or an object store all nodes reach (docs/scaling.md).")
        self._probed.add(run_dir)


def _joining(opts: dict[str, Any]) -> dict[str, Any]:
    # Joining a running cluster (or Ray Client) rejects options that only make sense when starting a node.
    return {k: v for k, v in opts.items() if k != "include_dashboard"}


def _check_reachable(addr: str) -> None:
    """Ray waits minutes on an address nobody answers; a plain TCP connect says so in seconds."""
    hostport = addr.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        return  # not host:port (e.g. a name Ray resolves itself): leave it to Ray
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise ConfigError(f"executor ray: nothing answers at {addr!r} ({exc}); start the cluster with "
                          f"`ray start --head` or fix the address") from None


def _import_ray():
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("executor ray needs Ray: pip install 'winnow[ray]'") from exc
    return ray
