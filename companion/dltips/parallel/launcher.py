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

TensorFlow's gRPC servers listen on every network interface and have no
authentication, so on Linux the workers run in a private network namespace
whose only interface is the loopback one (see ``dltips.parallel._loopback``):
they reach each other on ``127.0.0.1`` and nothing outside reaches them. Each
call also gives its processes a temporary folder of their own (``TMPDIR``,
under a ``dltips-`` folder) and removes it at the end, with whatever they left
there (TensorFlow's autograph files, a killed worker's scratch files).

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
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from dltips.checks import check_int, check_number
from dltips.experiments import ExperimentError
from dltips.parallel import _loopback, common

__all__ = ["FinishedWorker", "WorkerError", "WorkerTimeout", "check_num_workers", "end_process", "free_ports",
           "launch_workers", "max_local_workers", "port_is_free", "run_child", "run_module_in_child", "tail",
           "tf_config"]

#: The module every worker runs by default (``python -m dltips.parallel.worker``).
WORKER_MODULE = "dltips.parallel.worker"
#: The address local workers listen on.
HOST = "127.0.0.1"
#: After SIGTERM, how long a process may take before SIGKILL (seconds).
GRACE_SECONDS = 5.0
#: How many lines of a failed worker's log its error quotes.
TAIL_LINES = 15
#: Local workers per core at most: they share the cores, more only queue for them.
WORKERS_PER_CORE = 4
#: What one TensorFlow worker process holds (about 600 MiB measured).
WORKER_MEMORY_BYTES = 640 * 2**20


class WorkerError(ExperimentError):
    """A worker (or child process) failed; the message names it and quotes the end of its log.

    An :class:`~dltips.experiments.ExperimentError` (so a ``RuntimeError``): ``dltips run`` prints it in one line.

    Args:
        message: the error's text.
        worker, log_tail, log: as below.

    Attributes:
        worker: the failed process's name (``"worker 1"``).
        log_tail: the last lines of its log, also quoted in the message.
        log: its whole log (the log file itself is removed with the job's
            temporary folder unless the caller chose where logs go).

    Example::

        >>> try:
        ...     run_child(["-c", "import sys; print('bad input'); sys.exit(2)"])
        ... except WorkerError as err:
        ...     print(err.worker, "|", err.log_tail)
        child process -c import sys; print('bad input'); sys.exit(2) | bad input
    """

    def __init__(self, message: str, *, worker: str, log_tail: str = "", log: str = "") -> None:
        super().__init__(message)
        self.worker = worker
        self.log_tail = log_tail
        self.log = log or log_tail


class WorkerTimeout(WorkerError, TimeoutError):
    """The job ran past its time limit (every process was ended).

    Args:
        message, worker, log_tail, log: as for :class:`WorkerError`.

    Example::

        >>> try:
        ...     run_child(["-c", "import time; time.sleep(30)"], name="sleeper", timeout=0.5)
        ... except WorkerTimeout as err:
        ...     print(err.worker)
        sleeper
    """


@dataclass
class FinishedWorker:
    """A worker that exited with status 0.

    Args:
        name: the process's name (``"worker 0"``).
        log_path: where its log was written; ``None`` when the log lived in the
            call's temporary folder, which is gone (``log`` holds the text).
        log: the log's text.
        seconds: how long it ran.

    Example::

        >>> done = run_child(["-c", "print('hello')"], name="greeter")
        >>> done.name, done.log_path, done.log
        ('greeter', None, 'hello\\n')
    """

    name: str
    log_path: Path | None
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


def max_local_workers() -> int:
    """How many worker processes this machine can hold: ``WORKERS_PER_CORE`` per core, and the memory they need.

    Each local worker is a TensorFlow process of about ``WORKER_MEMORY_BYTES``;
    the memory counted is what is available now (``MemAvailable`` on Linux).
    Two workers are always allowed, so that the book's examples run (slowly,
    if memory is short) on any machine.

    Returns:
        The number of local worker processes allowed, at least 2.

    Example::

        >>> max_local_workers() >= 1
        True
    """
    cores = os.cpu_count() or 1
    limit = WORKERS_PER_CORE * cores
    available = _available_memory()
    if available is not None:
        limit = min(limit, available // WORKER_MEMORY_BYTES)
    return max(2, int(limit))


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_num_workers(num_workers: int) -> int:
    """``num_workers`` if this machine can hold that many local workers, else a ``ValueError`` saying how many it can.

    Args:
        num_workers: the worker processes wanted.

    Returns:
        ``num_workers`` as an int.

    Raises:
        ValueError: not an integer, below 1, or more than :func:`max_local_workers`.

    Example::

        >>> check_num_workers(2)
        2
    """
    num_workers = check_int("num_workers", num_workers)
    limit = max_local_workers()
    if num_workers > limit:
        cores = os.cpu_count() or 1
        raise ValueError(
            f"num_workers={num_workers} is more than this machine can hold: at most {limit} local worker "
            f"processes ({cores} cores, {WORKERS_PER_CORE} workers per core at most, about "
            f"{WORKER_MEMORY_BYTES / 2**20:.0f} MiB of free memory each); a larger job needs several machines "
            "(python -m dltips.parallel.worker on each)"
        )
    return num_workers


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports that were free on 127.0.0.1 a moment ago.

    The operating system picks them (binding port 0); all sockets are held
    open together so the ports differ, then closed for the workers to bind.

    Args:
        count: how many ports, an integer >= 1.

    Returns:
        The port numbers.

    Raises:
        ValueError: ``count`` not an integer >= 1.

    Example::

        >>> ports = free_ports(3)
        >>> len(set(ports)), all(port_is_free(p) for p in ports)
        (3, True)
    """
    count = check_int("count", count)
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

    Args:
        port: a TCP port number.

    Returns:
        Whether a server could bind it now.

    Example::

        >>> import socket
        >>> with socket.socket() as server:
        ...     server.bind(("127.0.0.1", 0))
        ...     server.listen()
        ...     port_is_free(server.getsockname()[1])
        False
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def tf_config(ports: Sequence[int], index: int, *, host: str = HOST) -> str:
    """The ``TF_CONFIG`` JSON of worker ``index`` in a cluster of workers on ``host:ports``.

    Args:
        ports: one port per worker.
        index: this worker's place in the list.
        host: the workers' address.

    Returns:
        The JSON text.

    Example::

        >>> tf_config([41001, 41002], 1)
        '{"cluster": {"worker": ["127.0.0.1:41001", "127.0.0.1:41002"]}, "task": {"type": "worker", "index": 1}}'
    """
    cluster = {"worker": [f"{host}:{p}" for p in ports]}
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


def tail(path: str | os.PathLike[str], lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of a text file ('' if it does not exist).

    Args:
        path: the file (a log).
        lines: how many lines.

    Returns:
        Those lines, joined with newlines.

    Example::

        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory(prefix="dltips-") as folder:
        ...     path = os.path.join(folder, "w.log")
        ...     with open(path, "w") as f:
        ...         _ = f.write("one\\ntwo\\nthree\\n")
        ...     tail(path, 2)
        'two\\nthree'
    """
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

    Args:
        popen: a process started with ``start_new_session=True``.
        grace: seconds between SIGTERM and SIGKILL.

    Returns:
        None, once the process has exited.

    Example::

        >>> import subprocess, sys
        >>> sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
        ...                            start_new_session=True)
        >>> end_process(sleeper)
        >>> sleeper.returncode
        -15
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


def _start(name: str, argv: Sequence[str], env: Mapping[str, str], log_path: Path,
           namespace: _loopback.LoopbackNamespace | None = None) -> _Running:
    log_file = open(log_path, "wb")  # noqa: SIM115 (closed in _supervise's finally)
    try:
        popen = subprocess.Popen(
            namespace.command(argv) if namespace else list(argv), env=dict(env), stdin=subprocess.DEVNULL,
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
            pass_fds=namespace.fds if namespace else (),
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


def _log_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _where(run: _Running, keep_logs: bool) -> str:
    return f" ({run.log_path})" if keep_logs else ""


def _raise_failure(runs: list[_Running], failed: list[_Running], echo: bool, keep_logs: bool) -> None:
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
        + f"; every process was ended. Last lines of its log{_where(first, keep_logs)}:\n{log_tail}",
        worker=first.name, log_tail=log_tail, log=_log_text(first.log_path),
    )


def _supervise(runs: list[_Running], timeout: float, echo: bool, keep_logs: bool) -> list[FinishedWorker]:
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
                _raise_failure(runs, failed, echo, keep_logs)
            if all(r.finished is not None for r in runs):
                if echo:
                    for run in runs:
                        _echo_new_lines(run)
                break
            if time.perf_counter() > deadline:
                slow = [r for r in runs if r.finished is None]
                for run in runs:
                    run.end()
                raise WorkerTimeout(
                    f"{', '.join(r.name for r in slow)} still running after {timeout:g} s; every process "
                    f"was ended. Last lines of the log of {slow[0].name}{_where(slow[0], keep_logs)}:\n"
                    f"{tail(slow[0].log_path)}",
                    worker=slow[0].name, log_tail=tail(slow[0].log_path), log=_log_text(slow[0].log_path),
                )
            time.sleep(0.05)
    finally:
        for run in runs:
            run.end()
    return [
        FinishedWorker(r.name, r.log_path if keep_logs else None, _log_text(r.log_path),
                       (r.finished or r.started) - r.started)
        for r in runs
    ]


def _child_env(env: Mapping[str, str] | None, job: _Job) -> dict[str, str]:
    merged = dict(os.environ)
    merged.update(env or {})
    merged["TMPDIR"] = str(job.tmp)  # whatever the children leave there goes with the job's folder
    merged[common.JOB_FOLDER_ENV] = str(job.folder)  # removed by the children if this process is killed
    merged.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    merged["PYTHONUNBUFFERED"] = "1"  # log lines reach the file (and the echo) as they are printed
    merged["DLTIPS_EXIT_WITH_PARENT"] = str(os.getpid())  # see dltips.parallel.common.exit_with_parent
    # The children import the same dltips as this process, installed or not.
    package_root = str(Path(__file__).resolve().parents[2])
    merged["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, merged.get("PYTHONPATH", "")) if p)
    return merged


class _Job:
    """The temporary folder of one call (its processes' ``TMPDIR``, and their logs unless the caller keeps them)
    and the private network they run in; :meth:`close` removes both."""

    def __init__(self, prefix: str, loopback_only: bool | None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=prefix))
        self.tmp = self.folder / "tmp"
        self.tmp.mkdir()
        self.namespace = None
        try:
            self.namespace = _private_network(loopback_only)
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def close(self) -> None:
        if self.namespace is not None:
            self.namespace.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _private_network(loopback_only: bool | None) -> _loopback.LoopbackNamespace | None:
    if loopback_only is False:
        return None
    try:
        return _loopback.open_namespace()
    except _loopback.NamespaceUnavailable as exc:
        message = (f"cannot keep the worker processes off the network ({exc}): their TensorFlow servers, "
                   "which have no authentication, will listen on every network interface of this machine")
        if loopback_only:
            raise RuntimeError(message) from exc
        warnings.warn(message + "; use it on a trusted network only", RuntimeWarning, stacklevel=4)
        return None


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
    loopback_only: bool | None = None,
) -> list[FinishedWorker]:
    """Run ``num_workers`` copies of a worker, each with its own ``TF_CONFIG``, and wait for all.

    Args:
        args: arguments after the command, the same for every worker.
        num_workers: at least 1, at most :func:`max_local_workers`.
        timeout: seconds before every worker is ended and :class:`WorkerTimeout` raised.
        ports: one port per worker on 127.0.0.1; ``None`` picks free ones.
        log_dir: where ``worker-<i>.log`` files go, and stay; ``None``: the call's
            temporary folder, removed at the end (the logs' text is in the result
            or in the :class:`WorkerError`).
        command: the program; ``python -m dltips.parallel.worker`` by default.
        env: extra environment variables for the workers.
        echo: print each worker's log lines as they appear, prefixed ``[worker i]``.
        loopback_only: run the workers where the loopback interface is the only
            network (Linux network namespaces): ``None`` where the system allows it,
            with a ``RuntimeWarning`` where it does not; ``True`` requires it;
            ``False`` leaves the workers on the machine's network.

    Returns:
        one :class:`FinishedWorker` per worker, in index order.

    Raises:
        ValueError: ``num_workers`` not an integer in ``1..max_local_workers()``, a bad
            ``timeout``, a wrong number of ports, or a port in use (naming the worker
            that would have used it), before anything starts.
        RuntimeError: ``loopback_only=True`` where the system cannot isolate the workers.
        WorkerError: a worker exited with a non-zero status or was killed.
        WorkerTimeout: the job ran past ``timeout``.

    Example::

        >>> import sys
        >>> code = "import json, os; print(json.loads(os.environ['TF_CONFIG'])['task']['index'])"
        >>> [d.log for d in launch_workers(["-c", code], 2, command=[sys.executable])]
        ['0\\n', '1\\n']
    """
    num_workers = check_num_workers(num_workers)
    timeout = check_number("timeout", timeout, low=0.0, low_open=True)
    if ports is None:
        ports = free_ports(num_workers)
    ports = [int(p) for p in ports]
    if len(ports) != num_workers:
        raise ValueError(f"ports must hold one port per worker ({num_workers}), got {len(ports)}")
    for i, port in enumerate(ports):
        if not port_is_free(port):
            raise ValueError(f"port {port} of worker {i} is already in use on {HOST}; pick another or pass ports=None")
    argv = [*(command or [sys.executable, "-m", WORKER_MODULE]), *args]
    job = _Job("dltips-workers-", loopback_only)
    try:
        logs = Path(log_dir) if log_dir is not None else job.folder
        logs.mkdir(parents=True, exist_ok=True)
        runs: list[_Running] = []
        try:
            for i in range(num_workers):
                worker_env = _child_env({**(env or {}), "TF_CONFIG": tf_config(ports, i)}, job)
                runs.append(_start(f"worker {i}", argv, worker_env, logs / f"worker-{i}.log", job.namespace))
        except BaseException:
            for run in runs:
                run.end()
            raise
        return _supervise(runs, timeout, echo, keep_logs=log_dir is not None)
    finally:
        job.close()


def run_child(
    args: Sequence[str],
    *,
    name: str | None = None,
    timeout: float = 180.0,
    log_path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    echo: bool = False,
    loopback_only: bool | None = None,
) -> FinishedWorker:
    """Run ``python <args>`` in a fresh process (its own process group) and wait for it.

    Same guarantees as :func:`launch_workers`: the process and anything it
    started are ended whatever happens, it runs off the network where the
    system allows, its temporary files go with the call, and a failure raises
    :class:`WorkerError` quoting the end of the log.

    Args:
        args: the arguments after ``python``.
        name: the process's name in messages (default: from ``args``).
        timeout: seconds before it is ended and :class:`WorkerTimeout` raised.
        log_path: keep the log there; by default it is removed with the call's temporary folder.
        env: extra environment variables.
        echo: print its log lines as they appear.
        loopback_only: as for :func:`launch_workers`.

    Returns:
        A :class:`FinishedWorker`.

    Raises:
        ValueError: ``timeout`` not a finite number > 0, before the process starts.
        RuntimeError: ``loopback_only=True`` where the system cannot isolate the process.
        WorkerError: the process exited with a non-zero status or was killed.
        WorkerTimeout: it ran past ``timeout``.

    Example::

        >>> run_child(["-c", "print(6 * 7)"]).log
        '42\\n'
    """
    timeout = check_number("timeout", timeout, low=0.0, low_open=True)
    name = name or f"child process {' '.join(args[:2])}"
    job = _Job("dltips-child-", loopback_only)
    try:
        path = Path(log_path) if log_path is not None else job.folder / "child.log"
        run = _start(name, [sys.executable, *args], _child_env(env, job), path, job.namespace)
        return _supervise([run], timeout, echo, keep_logs=log_path is not None)[0]
    finally:
        job.close()


def run_module_in_child(
    module: str,
    x: np.ndarray,
    y: np.ndarray,
    flags: Sequence[str],
    *,
    name: str,
    timeout: float,
    echo: bool = False,
) -> dict[str, Any]:
    """Run ``python -m <module>`` on ``(x, y)`` in a child process that is always ended; return its JSON result.

    The examples travel in a temporary ``.npz`` file (``--data``), the result comes
    back in a JSON file (``--out``), and ``flags`` carries the job's settings
    (a :class:`~dltips.parallel.common.JobSettings`'s ``to_flags()``). The
    temporary folder is removed whatever happens.

    Args:
        module: a module whose ``main`` reads ``--data``, ``--out`` and ``flags``
            (:meth:`~dltips.parallel.common.JobSettings.parse_command_line`).
        x, y: the training examples.
        flags: the settings' command-line flags.
        name: the child's name in messages.
        timeout: seconds before the child is ended and :class:`WorkerTimeout` raised.
        echo: print the child's log lines as they come.

    Returns:
        The JSON object the child wrote to ``--out``.

    Raises:
        ValueError: empty or unequal ``x`` and ``y``, or a bad ``timeout``, before the child starts.
        WorkerError: the child failed (its log's end is in the message).

    Example::

        >>> import numpy as np
        >>> from dltips.parallel.mirrored import MirroredSettings
        >>> x, y = np.zeros((64, 28, 28), np.float32), np.arange(64) % 10
        >>> # a fresh TensorFlow process: several seconds
        >>> run_module_in_child("dltips.parallel.mirrored", x, y, MirroredSettings(hidden=(8,)).to_flags(),
        ...                     name="demo", timeout=120)["steps"]  # doctest: +SKIP
        2
    """
    timeout = check_number("timeout", timeout, low=0.0, low_open=True)
    job = Path(tempfile.mkdtemp(prefix="dltips-child-"))
    try:
        data = common.save_arrays(job / "data.npz", x, y)
        args = ["-m", module, "--data", str(data), "--out", str(job / "result.json"), *flags]
        run_child(args, name=name, timeout=timeout, echo=echo)
        return common.read_json(job / "result.json")
    finally:
        shutil.rmtree(job, ignore_errors=True)
