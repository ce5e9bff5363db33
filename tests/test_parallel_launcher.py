"""dltips.parallel.launcher: workers get TF_CONFIG, failures name the worker, and nothing outlives a call.

These tests run tiny Python scripts as workers (no TensorFlow), so they are
fast; tests/test_parallel.py runs the real TensorFlow workers.
"""

from __future__ import annotations

import _thread
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from dltips.parallel import launcher

# A worker that listens on its TF_CONFIG port, starts a grandchild that would
# outlive it, records both pids, then behaves as its MODE says.
WORKER = textwrap.dedent("""
    import json, os, signal, socket, subprocess, sys, time
    config = json.loads(os.environ["TF_CONFIG"])
    index = config["task"]["index"]
    host, port = config["cluster"]["worker"][index].split(":")
    server = socket.socket(); server.bind((host, int(port))); server.listen()
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    with open(os.path.join(sys.argv[1], f"pids-{index}.json"), "w") as f:
        json.dump([os.getpid(), grandchild.pid], f)
    mode = sys.argv[2]
    print(f"worker {index} listening on {port}", flush=True)
    if mode == "raise" and index == 1:
        print("about to fail", flush=True)
        raise ValueError("boom from worker 1")
    if mode == "ignore-term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if mode in ("sleep", "raise", "ignore-term"):
        time.sleep(120)
    print(f"worker {index} done", flush=True)
""")


@pytest.fixture
def worker_script(tmp_path: Path) -> Path:
    path = tmp_path / "worker.py"
    path.write_text(WORKER, encoding="utf-8")
    return path


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE  # a zombie holds no port, runs nothing
    except psutil.NoSuchProcess:
        return False


def _children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if _running(p)]


@pytest.fixture(autouse=True)
def no_process_left_behind():
    """After every test, no process of ours runs (tests/conftest.py checks the temporary folder)."""
    before = {p.pid for p in _children()}
    yield
    left = [p for p in _children() if p.pid not in before]
    assert not left, f"processes left behind: {left}"


def _listening_ports() -> set[int]:
    return {c.laddr.port for c in psutil.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN}


def _assert_all_gone(tmp_path: Path, ports: list[int]) -> None:
    pids = [pid for f in tmp_path.glob("pids-*.json") for pid in json.loads(f.read_text())]
    assert pids, "the workers never started"
    def running(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE  # a zombie holds no port, runs nothing
        except psutil.NoSuchProcess:
            return False

    alive = [pid for pid in pids if running(pid)]
    assert not alive, f"processes left running: {alive}"
    assert not _children(), f"child processes left: {_children()}"
    assert not set(ports) & _listening_ports(), "a worker port is still bound"
    assert all(launcher.port_is_free(p) for p in ports)


def test_free_ports_are_distinct_and_free():
    ports = launcher.free_ports(4)
    assert len(set(ports)) == 4 and all(launcher.port_is_free(p) for p in ports)
    with pytest.raises(ValueError, match="count"):
        launcher.free_ports(0)


def test_success_gives_each_worker_its_tf_config_and_leaves_nothing_behind(tmp_path, worker_script):
    ports = launcher.free_ports(2)
    done = launcher.launch_workers([str(worker_script), str(tmp_path), "exit"], 2, ports=ports,
                                   command=[sys.executable], log_dir=tmp_path, timeout=60)
    assert [d.name for d in done] == ["worker 0", "worker 1"]
    assert [f"worker {i} listening on {p}" in d.log for i, (d, p) in enumerate(zip(done, ports))] == [True, True]
    # The grandchildren were still sleeping when their parents exited: the process groups were ended.
    _assert_all_gone(tmp_path, ports)


def test_worker_that_raises_is_named_with_the_end_of_its_log(tmp_path, worker_script):
    ports = launcher.free_ports(2)
    start = time.perf_counter()
    with pytest.raises(launcher.WorkerError) as info:
        launcher.launch_workers([str(worker_script), str(tmp_path), "raise"], 2, ports=ports,
                                command=[sys.executable], log_dir=tmp_path, timeout=60)
    assert time.perf_counter() - start < 30, "worker 0 should have been ended at once, not waited for"
    assert info.value.worker == "worker 1"
    message = str(info.value)
    assert message.startswith("worker 1 exited with status 1")
    assert "about to fail" in message and "ValueError: boom from worker 1" in message
    _assert_all_gone(tmp_path, ports)


@pytest.mark.parametrize("mode", ["sleep", "ignore-term"])
def test_timeout_ends_every_worker(tmp_path, worker_script, monkeypatch, mode):
    monkeypatch.setattr(launcher, "GRACE_SECONDS", 1.0)  # a worker that ignores SIGTERM gets SIGKILL after 1 s
    ports = launcher.free_ports(2)
    start = time.perf_counter()
    with pytest.raises(launcher.WorkerTimeout, match="still running after 3 s") as info:
        launcher.launch_workers([str(worker_script), str(tmp_path), mode], 2, ports=ports,
                                command=[sys.executable], log_dir=tmp_path, timeout=3)
    assert isinstance(info.value, TimeoutError)
    assert time.perf_counter() - start < 20
    _assert_all_gone(tmp_path, ports)


def test_keyboard_interrupt_ends_every_worker(tmp_path, worker_script, sigint_raises_keyboard_interrupt):
    ports = launcher.free_ports(2)

    def interrupt_once_started() -> None:
        deadline = time.time() + 30
        while len(list(tmp_path.glob("pids-*.json"))) < 2 and time.time() < deadline:
            time.sleep(0.05)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_once_started, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        launcher.launch_workers([str(worker_script), str(tmp_path), "sleep"], 2, ports=ports,
                                command=[sys.executable], log_dir=tmp_path, timeout=60)
    _assert_all_gone(tmp_path, ports)


def test_bad_input_is_refused_before_anything_starts(tmp_path, worker_script):
    with pytest.raises(ValueError, match="num_workers must be an integer >= 1, got 0"):
        launcher.launch_workers(["x"], 0)
    with pytest.raises(ValueError, match="one port per worker"):
        launcher.launch_workers(["x"], 2, ports=[launcher.free_ports(1)[0]])
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        free = launcher.free_ports(1)[0]
        with pytest.raises(ValueError, match=f"port {taken} of worker 1 is already in use"):
            launcher.launch_workers([str(worker_script), str(tmp_path), "exit"], 2, ports=[free, taken],
                                    command=[sys.executable], log_dir=tmp_path)
    assert not list(tmp_path.glob("pids-*.json")), "no worker may start when a port is taken"


def test_crashing_worker_script_is_named_with_its_log(tmp_path):
    script = tmp_path / "crash.py"
    script.write_text("import sys\nprint('loading the model')\nsys.exit('the model file is missing')\n")
    with pytest.raises(launcher.WorkerError) as info:
        launcher.launch_workers([str(script)], 2, command=[sys.executable], log_dir=tmp_path, timeout=60)
    assert info.value.worker in ("worker 0", "worker 1")
    assert "exited with status 1" in str(info.value)
    assert "loading the model" in info.value.log_tail and "the model file is missing" in info.value.log_tail
    assert not _children()


def test_run_child_returns_the_log_or_raises_with_it(tmp_path):
    assert launcher.run_child(["-c", "print(6 * 7)"], log_path=tmp_path / "ok.log").log == "42\n"
    with pytest.raises(launcher.WorkerError, match=r"demo exited with status 3(.|\n)*going down") as info:
        launcher.run_child(["-c", "print('going down'); raise SystemExit(3)"], name="demo",
                           log_path=tmp_path / "bad.log")
    assert info.value.worker == "demo"
    assert not _children()


def test_tf_config_lists_every_worker_and_the_task():
    config = json.loads(launcher.tf_config([1001, 1002], 1))
    assert config == {"cluster": {"worker": ["127.0.0.1:1001", "127.0.0.1:1002"]},
                      "task": {"type": "worker", "index": 1}}


def test_workers_exit_when_the_launcher_itself_is_killed(tmp_path):
    """kill -9 of the launching process (a notebook kernel restart, say) must not leave its workers running."""
    script = tmp_path / "orphan.py"
    script.write_text(textwrap.dedent("""
        import os, sys, time
        from dltips.parallel import common
        assert common.exit_with_parent()
        with open(os.path.join(sys.argv[1], f"pids-{os.getpid()}.json"), "w") as f:
            f.write(str([os.getpid()]))
        time.sleep(120)
    """))
    outer = subprocess.Popen(
        [sys.executable, "-c", "import sys; from dltips.parallel import launcher; "
         f"launcher.launch_workers([{str(script)!r}, {str(tmp_path)!r}], 2, command=[sys.executable], timeout=120)"],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        deadline = time.time() + 60
        while len(list(tmp_path.glob("pids-*.json"))) < 2 and time.time() < deadline:
            time.sleep(0.1)
        pids = [json.loads(f.read_text())[0] for f in tmp_path.glob("pids-*.json")]
        assert len(pids) == 2, "the workers never started"
        os.kill(outer.pid, signal.SIGKILL)
        outer.wait()
        workers = [psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)]
        _, alive = psutil.wait_procs(workers, timeout=10)
        alive = [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
        assert not alive, f"workers outlived their launcher: {alive}"
    finally:
        if outer.poll() is None:
            outer.kill()
            outer.wait()
        for f in tmp_path.glob("pids-*.json"):  # never leave a sleeper behind, even if the test failed
            for pid in json.loads(f.read_text()):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


# --- the network, the temporary folder, the error's log, the number of workers ---

# A worker that, like TensorFlow's servers, listens on every interface, then reaches its peer.
NETWORK_WORKER = textwrap.dedent("""
    import json, os, socket, sys, threading, time
    config = json.loads(os.environ["TF_CONFIG"])
    index = config["task"]["index"]
    peers = [tuple(w.split(":")) for w in config["cluster"]["worker"]]
    server = socket.socket(); server.bind(("", int(peers[index][1]))); server.listen()

    def greet():  # whoever connects learns that it reached this worker
        while True:
            connection, _ = server.accept()
            connection.sendall(f"dltips test worker {index}".encode()); connection.close()

    threading.Thread(target=greet, daemon=True).start()
    other = peers[1 - index]
    for _ in range(600):  # the peer may not listen yet
        try:
            with socket.create_connection((other[0], int(other[1])), timeout=1) as s:
                greeting = s.recv(64)
            if greeting.startswith(b"dltips test worker"):
                break
        except OSError:
            pass
        time.sleep(0.1)
    else:
        sys.exit(f"worker {index} cannot reach its peer at {other}")
    report = {"interfaces": [name for _, name in socket.if_nameindex()],
              "namespace": os.readlink("/proc/self/ns/net")}
    with open(os.path.join(sys.argv[1], f"ready-{index}"), "w") as f:  # only once the peer was reached
        f.write(json.dumps(report))
    while not os.path.exists(os.path.join(sys.argv[1], "stop")):
        time.sleep(0.05)
    print(json.dumps(report), flush=True)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="network namespaces are Linux's")
@pytest.mark.filterwarnings("error:cannot keep the worker processes off the network:RuntimeWarning")
def test_workers_listen_on_the_loopback_interface_only(tmp_path):
    """Their servers listen on every interface (as TensorFlow's do), yet nothing outside the job reaches them."""
    script = tmp_path / "network_worker.py"
    script.write_text(NETWORK_WORKER)
    ports = launcher.free_ports(2)
    reached = []

    def probe_from_outside() -> None:
        deadline = time.time() + 150
        while len(list(tmp_path.glob("ready-*"))) < 2 and time.time() < deadline:
            time.sleep(0.05)
        for port in ports:
            try:  # a connection may reach another program that took the port meanwhile: only a greeting counts
                with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                    s.settimeout(2)
                    if s.recv(64).startswith(b"dltips test worker"):
                        reached.append(port)
            except OSError:
                pass
        (tmp_path / "stop").touch()

    prober = threading.Thread(target=probe_from_outside, daemon=True)
    prober.start()
    done = launcher.launch_workers([str(script), str(tmp_path)], 2, ports=ports, command=[sys.executable],
                                   timeout=180)
    prober.join()
    reports = [json.loads(d.log.strip().splitlines()[-1]) for d in done]
    assert [r["interfaces"] for r in reports] == [["lo"], ["lo"]], "the workers must see no network but the loopback"
    assert reports[0]["namespace"] == reports[1]["namespace"] != os.readlink("/proc/self/ns/net")
    assert not reached, f"ports {reached} of the workers were reachable from outside the job"


def test_no_temporary_folder_is_left_after_success_failure_or_timeout(tmp_path, worker_script, monkeypatch):
    """Every call removes its temporary folder, with what its processes (killed or not) put in TMPDIR."""
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(launcher, "GRACE_SECONDS", 1.0)
    leaves_a_file = "import tempfile, time; tempfile.mkstemp(prefix='left-by-a-child-'); print('ok'); time.sleep(60)"
    assert launcher.run_child(["-c", "import tempfile; tempfile.mkdtemp(); print('ok')"]).log == "ok\n"
    with pytest.raises(launcher.WorkerTimeout):
        launcher.run_child(["-c", leaves_a_file], timeout=3)
    with pytest.raises(launcher.WorkerError):
        launcher.run_child(["-c", "raise SystemExit(4)"])
    launcher.launch_workers([str(worker_script), str(tmp_path), "exit"], 2, command=[sys.executable], timeout=60)
    with pytest.raises(launcher.WorkerError):
        launcher.launch_workers([str(worker_script), str(tmp_path), "raise"], 2, command=[sys.executable], timeout=60)
    assert sorted(p.name for p in private.iterdir()) == []


def test_worker_error_quotes_its_log_and_names_no_log_file_that_is_gone(tmp_path):
    script = tmp_path / "crash.py"
    script.write_text("import sys\nfor i in range(40):\n    print(f'line {i}')\nsys.exit('the end')\n")
    with pytest.raises(launcher.WorkerError) as info:
        launcher.launch_workers([str(script)], 1, command=[sys.executable], timeout=60)
    message = str(info.value)
    assert "line 39" in message and "the end" in message, "the message quotes the end of the log"
    assert info.value.log.startswith("line 0\n") and "the end" in info.value.log, "the whole log comes with the error"
    for word in message.replace("(", " ").replace(")", " ").replace(":", " ").split():
        if os.sep in word:
            assert Path(word).exists(), f"the message names {word}, which no longer exists"
    # A log folder of the caller's is kept, and named.
    with pytest.raises(launcher.WorkerError) as info:
        launcher.launch_workers([str(script)], 1, command=[sys.executable], timeout=60, log_dir=tmp_path / "logs")
    assert str(tmp_path / "logs" / "worker-0.log") in str(info.value)
    assert (tmp_path / "logs" / "worker-0.log").read_text().endswith("the end\n")


def test_more_workers_than_the_machine_can_hold_are_refused_before_any_starts(tmp_path, worker_script, monkeypatch):
    started = []
    monkeypatch.setattr(launcher, "_start", lambda *args, **kwargs: started.append(args))
    too_many = launcher.max_local_workers() + 1
    with pytest.raises(ValueError, match=f"num_workers={too_many} is more than this machine can hold"):
        launcher.launch_workers([str(worker_script), str(tmp_path), "exit"], too_many, command=[sys.executable])
    for bad in (0, 2.5, "2", True):
        with pytest.raises(ValueError, match="num_workers must be an integer"):
            launcher.launch_workers(["x"], bad)
    assert not started
    assert 2 <= launcher.max_local_workers() <= max(2, launcher.WORKERS_PER_CORE * (os.cpu_count() or 1))


def test_where_the_system_cannot_isolate_the_workers_it_says_so(tmp_path, worker_script, monkeypatch):
    from dltips.parallel import _loopback

    def unavailable(*args, **kwargs):
        raise _loopback.NamespaceUnavailable("user namespaces are disabled")

    monkeypatch.setattr(_loopback, "open_namespace", unavailable)
    with pytest.warns(RuntimeWarning, match="user namespaces are disabled.*every network interface.*trusted network"):
        done = launcher.launch_workers([str(worker_script), str(tmp_path), "exit"], 2, command=[sys.executable], timeout=60)
    assert len(done) == 2
    with pytest.raises(RuntimeError, match="cannot keep the worker processes off the network"):
        launcher.run_child(["-c", "print('never run')"], loopback_only=True)
