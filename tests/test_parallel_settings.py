"""The settings object of each kind of parallel job: one spelling, one check, one conversion to flags and back."""

from __future__ import annotations

import dataclasses

import numpy as np
import psutil
import pytest

from dltips.parallel import common, launcher, mirrored, multiworker, parameter_server, worker
from dltips.parallel.mirrored import MirroredSettings
from dltips.parallel.multiworker import MultiWorkerSettings
from dltips.parallel.parameter_server import AsyncSettings

X = np.zeros((64, 28, 28), np.float32)
Y = np.arange(64) % 10

# Every field away from its default (and awkward floats, empty layer lists), so a field the flags lose shows.
EXAMPLES = [
    MirroredSettings(),
    MirroredSettings(num_replicas=4, global_batch_size=64, epochs=3, learning_rate=0.30000000000000004,
                     hidden=(), seed=7),
    AsyncSettings(),
    AsyncSettings(num_workers=5, num_ps=2, steps=7, batch_size=3, learning_rate=1e-3, hidden=(128, 64), seed=11),
    MultiWorkerSettings(steps=20, global_batch_size=32),
    MultiWorkerSettings(steps=500, global_batch_size=256, learning_rate=2.5e-4, hidden=(1024, 1024), seed=3,
                        checkpoint_dir="/shared/ckpt", checkpoint_every=50, warmup_steps=2, threads=1,
                        log_every=1, crash_at_step=13, crash_worker=0, crash_mode="raise"),
]


@pytest.fixture(autouse=True)
def no_process_left_behind():
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield
    left = [p for p in psutil.Process().children(recursive=True)
            if p.pid not in before and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, f"processes left behind: {left}"


@pytest.mark.parametrize("settings", EXAMPLES, ids=lambda s: type(s).__name__)
def test_flags_and_back_give_the_same_settings(settings):
    flags = settings.to_flags()
    assert type(settings).from_flags(flags) == settings
    # One flag per field that is set, named after the field.
    named = {f"--{f.name.replace('_', '-')}" for f in dataclasses.fields(settings) if getattr(settings, f.name) is not None}
    assert set(flags[::2]) == named


def test_the_worker_reads_the_flags_that_train_multiworker_writes():
    settings = EXAMPLES[-1]
    args = multiworker.worker_args("data.npz", "out", **dataclasses.asdict(settings))
    files, parsed = worker.parse_args(args)
    assert (files.data, files.out, files.examples) == ("data.npz", "out", None)
    assert parsed == settings


def test_settings_are_frozen_and_hold_the_checked_values():
    settings = MultiWorkerSettings(steps=np.int64(5), global_batch_size=8, learning_rate=1, hidden=[16])
    assert (type(settings.steps), settings.learning_rate, settings.hidden) == (int, 1.0, (16,))
    assert settings.to_flags()[4:6] == ["--learning-rate", "1.0"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.steps = 6


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MirroredSettings(num_replicas=0), "num_replicas must be an integer >= 1, got 0"),
        (lambda: MirroredSettings(num_replicas=3), "global_batch_size must be a positive multiple of the number of replicas \\(3\\)"),
        (lambda: AsyncSettings(num_workers=60, num_ps=5), "num_workers \\+ num_ps must be at most 64"),
        (lambda: AsyncSettings(learning_rate="0.1"), "learning_rate must be a number in \\(0.0, inf\\), got '0.1'"),
        (lambda: MultiWorkerSettings(steps=5, global_batch_size=8, crash_mode="hang"), "crash_mode must be 'kill' or 'raise'"),
        (lambda: MultiWorkerSettings(steps=5, global_batch_size=8, log_every=0), "log_every must be an integer >= 1"),
        (lambda: MultiWorkerSettings(steps=True, global_batch_size=8), "steps must be an integer >= 1, got True"),
        (lambda: MultiWorkerSettings(steps=5, global_batch_size=8, crash_at_step=2).check_workers(1),
         "crash_worker must be in \\[0, 0\\]"),
        (lambda: MultiWorkerSettings.from_flags(["--steps", "0", "--global-batch-size", "8"]),
         "steps must be an integer >= 1, got 0"),
    ],
)
def test_a_bad_setting_is_refused_when_the_object_is_made(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: multiworker.train_multiworker(X, Y, num_workers=2, steps=5, global_batch_size=32, threads="1"),
         "threads must be an integer >= 1, got '1'"),
        (lambda: multiworker.train_multiworker(X, Y, num_workers=2, steps=5, global_batch_size=32,
                                               learning_rate=float("nan")), "learning_rate must be"),
        (lambda: parameter_server.train_async(X, Y, batch_size=0), "batch_size must be an integer >= 1"),
        (lambda: parameter_server.train_async(X, Y, hidden=(8, -1)), "hidden must be an integer >= 1"),
        (lambda: mirrored.compare_in_child(X, Y, epochs="2"), "epochs must be an integer >= 1"),
        (lambda: mirrored.compare_in_child(X[:8], Y[:8]), "need at least global_batch_size=32 examples, got 8"),
    ],
)
def test_a_bad_setting_starts_no_process_and_leaves_no_port_or_file(call, message, monkeypatch):
    started = []
    monkeypatch.setattr(launcher, "_start", lambda *args, **kwargs: started.append(args) or pytest.fail("started"))
    monkeypatch.setattr(common, "save_arrays", lambda *args, **kwargs: pytest.fail("wrote the training data"))
    ports = launcher.free_ports(2)
    with pytest.raises(ValueError, match=message):
        call()
    assert not started
    assert all(launcher.port_is_free(p) for p in ports)
    # (conftest checks that no temporary folder or file of ours is left, the fixture above that no process is)


def test_a_worker_started_by_hand_with_a_bad_setting_says_so_in_one_line():
    with pytest.raises(launcher.WorkerError) as info:
        launcher.run_child(["-m", "dltips.parallel.worker", "--out", "o", "--steps", "5", "--global-batch-size", "4",
                            "--threads", "0"], timeout=60)
    assert info.value.log_tail.splitlines()[-1].endswith("error: threads must be an integer >= 1, got 0")
