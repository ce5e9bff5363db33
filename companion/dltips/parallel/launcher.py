"""Start worker processes, collect their logs, and always end them.

A multi-worker TensorFlow job is N copies of one script, each told by the
environment variable ``TF_CONFIG`` who the others are and which one it is::

    TF_CONFIG='{"cluster": {"worker": ["127.0.0.1:41001", "127.0.0.1:41002"]},
                "task": {"type": "worker", "index": 0}}'

On a real cluster each machine sets its own ``TF_CONFIG`` and runs the script;
on one machine :func:`launch_workers` does it for every worker: it picks free
ports, starts the workers in their own process groups with their output in one
log file each, waits for them, and ends every process it started (on success,
on error, on timeout and on ``KeyboardInterrupt``), so no process and no bound
port outlives the call. A worker that fails raises :class:`WorkerError` naming
the worker and quoting the end of its log.

:func:`run_child` runs a single command the same way: the book uses it for
demonstrations that need a fresh TensorFlow (logical devices, in-process
parameter-server clusters).

Example::

    >>> import sys
    >>> from dltips.parallel.launcher import launch_workers
    >>> code = "import json, os; print(json.loads(os.environ['TF_CONFIG'])['task'])"
    >>> done = launch_workers(["-c", code], 2, command=[sys.executable])
    >>> [d.log.strip() for d in done]
    ["{'type': 'worker', 'index': 0}", "{'type': 'worker', 'index': 1}"]
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from dltips.parallel import common

WORKER_MODULE = "dltips.parallel.worker"
HOST = "127.0.0.1"
GRACE_SECONDS = 5.0  # after SIGTERM, how long a process may take before SIGKILL
TAIL_LINES = 15


class WorkerError(RuntimeError):
    """A worker (or child process) failed; the message names it and quotes the end of its log."""

    def __init__(self, message: str, *, worker: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.worker = worker
        self.log_tail = log_tail


class WorkerTimeout(WorkerError, TimeoutError):
    """The job ran past its time limit (every process was ended)."""


@dataclass
class FinishedWorker:
    """A worker that exited with status 0."""

    name: str
    log_path: Path
    log: str
    seconds: float


@dataclass
class _Running:
    name: str
    popen: subprocess.Popen
    log_path: Path
    log_file: IO[bytes]
    started: float
    echo_offset: int = 0
    finished: float | None = field(default=None)
    ended: bool = False

    def end(self) -> None:
        if not self.ended:
            end_process(self.popen)
            self.ended = True
        self.log_file.close()


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports that were free on 127.0.0.1 a moment ago.

    The operating system picks them (binding port 0); all sockets are held
    open together so the ports differ, then closed for the workers to bind.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count!r}")
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def port_is_free(port: int) -> bool:
    """True if nothing listens on ``port`` (of 127.0.0.1 or any address).

    ``SO_REUSEADDR`` lets the test bind succeed over connections lingering in
    TIME_WAIT, which do not stop a server from binding; a listening socket does.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def tf_config(ports: Sequence[int], index: int, *, host: str = HOST) -> str:
    """The ``TF_CONFIG`` JSON of worker ``index`` in a cluster of workers on ``host:ports``."""
    cluster = {"worker": [f"{host}:{p}" for p in ports]}
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


def tail(path: str | os.PathLike[str], lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of a text file ('' if it does not exist)."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def end_process(popen: subprocess.Popen, grace: float | None = None) -> None:
    """End ``popen`` and everything in its process group: SIGTERM, then SIGKILL after ``grace`` s.

    ``grace`` defaults to ``GRACE_SECONDS``.

    The child was started with ``start_new_session=True``, so its process group
    id is its pid and the group also holds any process it spawned itself.
    """
    def signal_group(sig: int) -> None:
        try:
            os.killpg(popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass  # the group is already empty

    if popen.poll() is None:
        signal_group(signal.SIGTERM)
        try:
            popen.wait(timeout=GRACE_SECONDS if grace is None else grace)
        except subprocess.TimeoutExpired:
            pass
    # Kill what is left, the leader if it ignored SIGTERM and any grandchild that outlived it.
    signal_group(signal.SIGKILL)
    popen.wait()
    # SIGKILL takes effect asynchronously: give orphaned group members a moment to die
    # (where nobody reaps orphans, they linger as harmless zombies, hence the limit).
    deadline = time.perf_counter() + 1.0
    while time.perf_counter() < deadline:
        try:
            os.killpg(popen.pid, 0)
        except (ProcessLookupError, PermissionError):
            break
        time.sleep(0.02)


def _exit_description(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def _start(name: str, argv: Sequence[str], env: Mapping[str, str], log_path: Path) -> _Running:
    log_file = open(log_path, "wb")  # noqa: SIM115 (closed in _supervise's finally)
    try:
        popen = subprocess.Popen(
            list(argv), env=dict(env), stdin=subprocess.DEVNULL, stdout=log_file,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    except BaseException:
        log_file.close()
        raise
    return _Running(name, popen, log_path, log_file, time.perf_counter())


def _echo_new_lines(run: _Running) -> None:
    with open(run.log_path, "rb") as f:
        f.seek(run.echo_offset)
        chunk = f.read()
    complete = chunk[: chunk.rfind(b"\n") + 1]
    run.echo_offset += len(complete)
    for line in complete.decode("utf-8", errors="replace").splitlines():
        print(f"[{run.name}] {line}", flush=True)


def _raise_failure(runs: list[_Running], failed: list[_Running], echo: bool) -> None:
    """End every process, then raise for the process that failed first.

    When one worker dies, its peers fail soon after (their collectives lose a
    partner); the first failure seen, and among simultaneous ones a process
    killed by a signal, is the cause worth reporting.
    """
    for run in runs:
        run.end()
        if echo:
            _echo_new_lines(run)
    first = min(failed, key=lambda r: (r.finished, r.popen.returncode >= 0))
    also = [f"{r.name} {_exit_description(r.popen.returncode)}" for r in failed if r is not first]
    log_tail = tail(first.log_path)
    raise WorkerError(
        f"{first.name} {_exit_description(first.popen.returncode)}"
        + (f" ({'; '.join(also)})" if also else "")
        + f"; every process was ended. Last lines of its log ({first.log_path}):\n{log_tail}",
        worker=first.name, log_tail=log_tail,
    )


def _supervise(runs: list[_Running], timeout: float, echo: bool) -> list[FinishedWorker]:
    """Wait for every run; end them all (whatever happens) before returning or raising."""
    deadline = time.perf_counter() + timeout
    try:
        while True:
            for run in runs:
                if echo:
                    _echo_new_lines(run)
                if run.finished is None and run.popen.poll() is not None:
                    run.finished = time.perf_counter()
            failed = [r for r in runs if r.finished is not None and r.popen.returncode != 0]
            if failed:
                _raise_failure(runs, failed, echo)
            if all(r.finished is not None for r in runs):
                if echo:
                    for run in runs:
                        _echo_new_lines(run)
                break
            if time.perf_counter() > deadline:
                slow = [r for r in runs if r.finished is None]
                raise WorkerTimeout(
                    f"{', '.join(r.name for r in slow)} still running after {timeout:g} s; every process "
                    f"was ended. Last lines of the log of {slow[0].name} ({slow[0].log_path}):\n"
                    f"{tail(slow[0].log_path)}",
                    worker=slow[0].name, log_tail=tail(slow[0].log_path),
                )
            time.sleep(0.05)
    finally:
        for run in runs:
            run.end()
    return [
        FinishedWorker(r.name, r.log_path, r.log_path.read_text(encoding="utf-8", errors="replace"),
                       (r.finished or r.started) - r.started)
        for r in runs
    ]


def _child_env(env: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(os.environ)
    merged.update(env or {})
    merged.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    merged["PYTHONUNBUFFERED"] = "1"  # log lines reach the file (and the echo) as they are printed
    merged["DLTIPS_EXIT_WITH_PARENT"] = str(os.getpid())  # see dltips.parallel.common.exit_with_parent
    # The children import the same dltips as this process, installed or not.
    package_root = str(Path(__file__).resolve().parents[2])
    merged["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, merged.get("PYTHONPATH", "")) if p)
    return merged


def launch_workers(
    args: Sequence[str],
    num_workers: int,
    *,
    timeout: float = 180.0,
    ports: Sequence[int] | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    command: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    echo: bool = False,
) -> list[FinishedWorker]:
    """Run ``num_workers`` copies of a worker, each with its own ``TF_CONFIG``, and wait for all.

    Args:
        args: arguments after the command, the same for every worker.
        num_workers: at least 1.
        timeout: seconds before every worker is ended and :class:`WorkerTimeout` raised.
        ports: one port per worker on 127.0.0.1; ``None`` picks free ones.
        log_dir: where ``worker-<i>.log`` files go (a temporary folder if ``None``).
        command: the program; ``python -m dltips.parallel.worker`` by default.
        env: extra environment variables for the workers.
        echo: print each worker's log lines as they appear, prefixed ``[worker i]``.

    Returns:
        one :class:`FinishedWorker` per worker, in index order.

    Raises:
        ValueError: ``num_workers < 1``, a wrong number of ports, or a port in use
            (naming the worker that would have used it), before anything starts.
        WorkerError: a worker exited with a non-zero status or was killed.
        WorkerTimeout: the job ran past ``timeout``.
    """
    if num_workers < 1:
        raise ValueError(f"num_workers must be at least 1, got {num_workers!r}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    if ports is None:
        ports = free_ports(num_workers)
    ports = [int(p) for p in ports]
    if len(ports) != num_workers:
        raise ValueError(f"ports must hold one port per worker ({num_workers}), got {len(ports)}")
    for i, port in enumerate(ports):
        if not port_is_free(port):
            raise ValueError(f"port {port} of worker {i} is already in use on {HOST}; pick another or pass ports=None")
    log_dir = Path(log_dir if log_dir is not None else tempfile.mkdtemp(prefix="dltips-workers-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    argv = [*(command or [sys.executable, "-m", WORKER_MODULE]), *args]
    runs: list[_Running] = []
    try:
        for i in range(num_workers):
            worker_env = _child_env({**(env or {}), "TF_CONFIG": tf_config(ports, i)})
            runs.append(_start(f"worker {i}", argv, worker_env, log_dir / f"worker-{i}.log"))
    except BaseException:
        for run in runs:
            run.end()
        raise
    return _supervise(runs, timeout, echo)


def run_child(
    args: Sequence[str],
    *,
    name: str | None = None,
    timeout: float = 180.0,
    log_path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    echo: bool = False,
) -> FinishedWorker:
    """Run ``python <args>`` in a fresh process (its own process group) and wait for it.

    Same guarantees as :func:`launch_workers`: the process and anything it
    started are ended whatever happens; a failure raises :class:`WorkerError`
    quoting the end of the log.

    Example::

        >>> run_child(["-c", "print(6 * 7)"]).log
        '42\\n'
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    name = name or f"child process {' '.join(args[:2])}"
    if log_path is None:
        log_path = Path(tempfile.mkdtemp(prefix="dltips-child-")) / "child.log"
    run = _start(name, [sys.executable, *args], _child_env(env), Path(log_path))
    return _supervise([run], timeout, echo)[0]


def run_module_in_child(
    module: str,
    x: np.ndarray,
    y: np.ndarray,
    options: Mapping[str, Any],
    *,
    name: str,
    timeout: float,
    echo: bool = False,
) -> dict[str, Any]:
    """Run ``python -m <module>`` on ``(x, y)`` in a child process that is always ended; return its JSON result.

    The examples travel in a temporary ``.npz`` file (``--data``), the result comes
    back in a JSON file (``--out``), and each entry of ``options`` becomes a flag
    (``global_batch_size=32`` → ``--global-batch-size 32``; sequences are joined
    with commas). The temporary folder is removed whatever happens.
    """
    job = Path(tempfile.mkdtemp(prefix="dltips-child-"))
    try:
        data = common.save_arrays(job / "data.npz", x, y)
        args = ["-m", module, "--data", str(data), "--out", str(job / "result.json")]
        for key, value in options.items():
            if isinstance(value, (list, tuple)):
                text = ",".join(str(int(v)) for v in value)
            elif isinstance(value, float):
                text = repr(value)
            else:
                text = str(value)
            args += [f"--{key.replace('_', '-')}", text]
        run_child(args, name=name, timeout=timeout, log_path=job / "child.log", echo=echo)
        return common.read_json(job / "result.json")
    finally:
        shutil.rmtree(job, ignore_errors=True)
