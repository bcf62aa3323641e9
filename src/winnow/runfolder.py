"""Guards around a run folder: whose it is, who is writing it, what it was made from.

* ``check_folder``: a folder that is neither empty nor a winnow run is refused (a typo in ``-o`` must not overwrite
  someone's ``stats.json``); a winnow run of another pipeline is refused by ``run_pipeline``.
* ``RunLock``: one driver per run folder. The lock file names the holder's host, pid and process start time; a lock
  left by a dead process on this host is taken over with a message, any other lock is refused.
* ``clean_temp_files``: with the lock held, every ``.tmp-*`` file in the folder is a leftover of a killed process.
* ``Inputs``: the input files of every reader stage with a fingerprint (size, mtime, a hash of the first and last
  64 KiB), recorded at the first run; a resume refuses added, removed or rewritten files, naming the first one.
* ``check_name``: every name that becomes part of a path (stage names) is one plain path component.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from .document import utf8_safe
from .errors import ConfigError, WinnowError
from .io.base import RemotePath, atomic_path, is_remote, is_temp_name, remote_fs, unlink_if_there

__all__ = ["RunFolderError", "RunLock", "check_folder", "clean_temp_files", "Inputs", "check_name", "LOCK_NAME"]

LOCK_NAME = "winnow.lock"
CONFIG_NAME = "config.resolved.yaml"
# Head and tail hashed per input file: together with size and mtime this catches a rewritten file (the common
# case: a re-download, an appended shard) for two 64 KiB reads per file, about 1 ms each on a local disk.
_FINGERPRINT_BYTES = 64 * 1024
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.=+-]{0,127}$")


class RunFolderError(WinnowError):
    """The run folder cannot be used: not a folder, not writable, someone else's files, locked by another run."""


def check_name(name: Any, what: str) -> None:
    """A name that becomes a path component: letters, digits, ``_ . = + -``, not starting with a dot, at most 128
    characters. Without this a stage named ``../../x`` writes outside the run folder."""
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise ConfigError(f"{what} {name!r} is not usable as a folder name: use letters, digits and _ . = + - "
                          "(not starting with a dot, at most 128 characters)")


# --- what is in the folder -------------------------------------------------------------------------------------

def _entries(run_dir: Path | RemotePath) -> list[str]:
    try:
        return [p.name for p in run_dir.iterdir()]
    except FileNotFoundError:
        return []


def check_folder(run_dir: Path | RemotePath) -> None:
    """Refuse a folder holding anything but a winnow run (its lock and temporary files aside)."""
    names = [n for n in _entries(run_dir) if n != LOCK_NAME and not is_temp_name(n)]
    if names and CONFIG_NAME not in names:
        shown = ", ".join(sorted(names)[:5]) + (", ..." if len(names) > 5 else "")
        raise RunFolderError(f"{run_dir} is not empty and is not a winnow run folder (it holds {shown}); running "
                             "into it would overwrite its files. Give an empty or new folder with -o.")


def clean_temp_files(run_dir: Path | RemotePath) -> int:
    """Remove the temporary files killed processes left; call only with the lock held. Remote run folders never
    hold any (uploads are written locally first)."""
    if isinstance(run_dir, RemotePath):
        return 0
    return sum(unlink_if_there(os.path.join(root, f)) for root, _dirs, files in os.walk(run_dir) for f in files
               if is_temp_name(f))


# --- the lock --------------------------------------------------------------------------------------------------

def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux); tells a reused pid from the lock's holder."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2:].split()[19].decode()
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int, start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: alive
    except OSError:
        return True
    if start is not None:
        now = _start_time(pid)
        if now is not None and now != start:
            return False  # the pid was reused by another process
    return True


class RunLock:
    """``winnow.lock`` in the run folder, created exclusively (O_EXCL) on a local folder. On an object store there
    is no exclusive create: the lock is written and read back, which stops the common mistake (a second run
    started by hand) but not two drivers starting within the same second."""

    def __init__(self, run_dir: Path | RemotePath, log: bool = True):
        self.path = run_dir / LOCK_NAME
        self.log = log
        self.held = False
        self.me = {"host": socket.gethostname(), "pid": os.getpid(), "start": _start_time(os.getpid()),
                   "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}

    def _read(self) -> dict | None:
        try:
            d = orjson.loads(self.path.read_bytes())
            return d if isinstance(d, dict) else {}
        except FileNotFoundError:
            return None
        except ValueError:
            return {}

    def _empty_and_old(self) -> bool:
        """An empty lock file older than a few seconds: what a run killed between creating and writing its lock
        left (winnow before the link above); a live run's lock is never empty for that long."""
        try:
            st = os.stat(self.path)
        except OSError:
            return False
        return st.st_size == 0 and time.time() - st.st_mtime > 5

    def _stale(self, d: dict) -> bool:
        return (d.get("host") == self.me["host"] and isinstance(d.get("pid"), int)
                and not _alive(d["pid"], d.get("start")))

    def acquire(self) -> None:
        body = orjson.dumps(self.me)
        for _ in range(3):
            if isinstance(self.path, RemotePath):
                if self.path.exists():
                    held = self._read()
                else:
                    with atomic_path(self.path) as tmp:
                        tmp.write_bytes(body)
                    held = self._read()
                    if held == self.me:
                        self.held = True
                        return
            else:
                # The lock appears whole or not at all: written under a temporary name, then hard-linked to its
                # name (link fails if the name exists, as O_EXCL does). Creating it empty and then writing left an
                # empty lock behind a process killed in between, which no later run could take over.
                tmp = self.path.parent / f".tmp-{self.me['host']}-{os.getpid()}-{LOCK_NAME}"
                tmp.write_bytes(body)
                try:
                    os.link(tmp, self.path)
                except FileExistsError:
                    held = self._read()
                except FileNotFoundError:  # another run cleaning temporary files took ours: write it again
                    continue
                else:
                    self.held = True
                    return
                finally:
                    tmp.unlink(missing_ok=True)
                if held == {} and self._empty_and_old():
                    if self.log:
                        print(f"[winnow] taking over the empty lock {self.path} (a run killed while taking it)",
                              file=sys.stderr)
                    self.path.unlink(missing_ok=True)
                    continue
            if held is None:
                continue  # removed between our attempt and the read: try again
            if self._stale(held):
                if self.log:
                    print(f"[winnow] taking over the lock {self.path} left by process {held['pid']} on "
                          f"{held['host']}, which is no longer running", file=sys.stderr)
                self.path.unlink(missing_ok=True)
                continue
            who = (f"process {held.get('pid')} on host {held.get('host')} (since {held.get('since', '?')})"
                   if held.get("pid") is not None else "an unreadable lock file")
            raise RunFolderError(f"{self.path.parent} is in use by another winnow run: {who} holds {self.path}. "
                                 "Two runs writing one folder corrupt each other's outputs. Wait for it to finish; "
                                 "if it is gone (another host's run that was killed), delete the lock file.")
        raise RunFolderError(f"could not take the lock {self.path} (it keeps changing hands)")

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        try:
            if self._read() == self.me:
                self.path.unlink(missing_ok=True)
        except OSError:
            pass


# --- the input files -------------------------------------------------------------------------------------------

def _fingerprint(path: str) -> list:
    """[size, mtime, hash of head and tail] of one input file; [None, None, None] when it cannot be read (the
    reader will quarantine it or say so)."""
    try:
        if is_remote(path):
            fs, p = remote_fs(path)
            info = fs.info(p)
            size = int(info.get("size") or 0)
            mtime = str(info.get("ETag") or info.get("mtime") or info.get("LastModified") or info.get("updated") or "")
            head = fs.cat_file(p, 0, min(size, _FINGERPRINT_BYTES))
            tail = fs.cat_file(p, max(0, size - _FINGERPRINT_BYTES), size) if size > _FINGERPRINT_BYTES else b""
        else:
            st = os.stat(path)
            size, mtime = st.st_size, st.st_mtime_ns
            with open(path, "rb") as f:
                head = f.read(_FINGERPRINT_BYTES)
                tail = b""
                if size > _FINGERPRINT_BYTES:
                    f.seek(max(0, size - _FINGERPRINT_BYTES))
                    tail = f.read(_FINGERPRINT_BYTES)
    except (OSError, ValueError):
        return [None, None, None]
    h = hashlib.blake2b(head, digest_size=16)
    h.update(tail)
    return [size, mtime, h.hexdigest()]


def _files_of(reader: Any, keys: list[str]) -> list[str]:
    """A reader whose shard keys are not file paths (a text folder's ``folder#3``) says which files they read."""
    input_files = getattr(reader, "input_files", None)
    return list(input_files(keys)) if callable(input_files) else list(keys)


class Inputs:
    """The input files of every reader stage, recorded at the first run and compared on resume. Without it, files
    added between a run and its resume were read as new shards while the finished corpus steps (a dedup's merged
    tables) were skipped, and a file rewritten between a kill and the resume gave mixed outputs."""

    def __init__(self, run_dir: Path | RemotePath, resuming: bool):
        self.path = run_dir / "inputs.json"
        self.resuming = resuming
        self.recorded: dict[str, Any] = {}
        self.sizes: dict[str, int] = {}  # input file -> bytes, from the fingerprints (the runner's task order)
        if resuming:
            try:
                self.recorded = orjson.loads(self.path.read_bytes())
            except FileNotFoundError:  # a run folder from before this record existed: nothing to compare
                self.resuming = False
        if not isinstance(self.recorded.get("stages"), dict):
            # the first format: {stage: [keys]}; its keys are still compared, fingerprints are added
            self.recorded = {"version": 2, "stages": {k: {"keys": v} for k, v in self.recorded.items()
                                                      if isinstance(v, list)}}

    def check(self, stage: str, keys: list[str], reader: Any = None) -> None:
        files = _files_of(reader, keys)
        with ThreadPoolExecutor(8) as pool:  # on an object store, each fingerprint is two requests
            prints = dict(zip(map(utf8_safe, files), pool.map(_fingerprint, files)))
        self.sizes.update({f: p[0] for f, p in prints.items() if isinstance(p[0], int)})
        keys, files = [utf8_safe(k) for k in keys], [utf8_safe(f) for f in files]
        seen = self.recorded["stages"].get(stage)
        if self.resuming and seen is not None:
            old_keys = seen.get("keys")
            if old_keys != keys:
                added, removed = sorted(set(keys) - set(old_keys)), sorted(set(old_keys) - set(keys))
                what = ", ".join(x for x in (f"{len(added)} new (first: {added[0]})" if added else "",
                                              f"{len(removed)} gone (first: {removed[0]})" if removed else "") if x)
                raise ConfigError(f"stage {stage}: its input files changed since this run started "
                                  f"({what or 'reordered'}; recorded in {self.path}). Resuming would skip the "
                                  "corpus-wide steps that already ran over the old files. Use another output folder, "
                                  "or delete this one to start over.")
            old = seen.get("files")
            if isinstance(old, dict):
                for f in files:
                    was, now = old.get(f), prints[f]
                    if was is not None and was != now:
                        what = [n for n, a, b in zip(("size", "modification time", "content"), was, now) if a != b]
                        raise ConfigError(f"stage {stage}: input file {f} changed since this run started "
                                          f"({', '.join(what)} differ; recorded in {self.path}). Resuming would mix "
                                          "outputs of the old and the new file. Restore it, use another output "
                                          "folder, or delete this one to start over.")
                return
        self.recorded["stages"][stage] = {"keys": keys, "files": prints}
        with atomic_path(self.path) as tmp:
            tmp.write_bytes(orjson.dumps(self.recorded, option=orjson.OPT_INDENT_2))

    def changed_since(self, stage: str) -> list[str]:
        """The local input files of ``stage`` whose size or modification time is not what was recorded when the run
        (or this invocation) started, each with what changed: a file still being written (a crawler appending) was
        read as it was at some moment, and nothing said so until a resume refused the folder. One ``stat`` a file."""
        files = (self.recorded["stages"].get(stage) or {}).get("files")
        out: list[str] = []
        for f, was in (files.items() if isinstance(files, dict) else ()):
            if is_remote(f) or not isinstance(was, list) or was[0] is None:
                continue
            try:
                st = os.stat(f)
            except FileNotFoundError:
                out.append(f"{f} (deleted)")
                continue
            except (OSError, ValueError):
                continue
            if st.st_size != was[0]:
                out.append(f"{f} (size {was[0]:,} -> {st.st_size:,} bytes)")
            elif st.st_mtime_ns != was[1]:
                out.append(f"{f} (rewritten: modification time changed)")
        return out
