"""Throughput of dltips.descent's training loop against Keras's own ``model.fit``.

Both train the same MLP (784-128-10) on the same MNIST images at batch size 256
with the same optimizer (SGD, η = 0.1, momentum 0.9), so the only difference is
the loop: ours is a Python loop over a ``tf.function``-compiled update
(:func:`dltips.descent.train_gradient_descent`), fit's is Keras's trainer.

Each contender trains one epoch of 30,000 images per round, on two clocks that
leave out set-up and tracing:

- ``wall``: fit's training clock is the wall time from the start to the end of
  the epoch (a callback reads the clock at ``on_epoch_begin`` and
  ``on_epoch_end``; fit's train function is traced by a warm-up call); ours is
  the loop's own clock (``history.seconds``), from the first update to the last;
- ``cpu``: the process's CPU time (every thread) over the same spans; for our
  loop it is read when the first epoch's batches are drawn, after tracing.

``descent_ratio_end_to_end`` (no target) compares whole calls instead: fit's
call, and ours less ``compile_seconds``; both include their set-up (turning the
arrays into tensors, building fit's input pipeline).

Our loop runs with ``evaluate=False``: its loss evaluations on the whole
training set are a teaching aid that ``model.fit`` does not make.

The two race in rounds in ABBA order (see :mod:`benchmarks.stats`); each ratio
(ours / fit, examples per second) is the median over rounds with a 95 %
bootstrap interval, judged against the target of 0.8 on each clock: met,
missed or undecided. A calibration race, fit against fit, comes first; if its
interval on a clock does not hold 1.0, that clock's verdicts are ``too noisy``.
Rounds are added until every interval is narrower than 5 % or a race has run
for 150 s (at least 16 rounds); a full run takes 1 to 6 minutes.

Run ``python -m benchmarks.bench_descent`` from the project root; it writes
``companion/dltips/recordings/descent.json`` (``--quick`` prints a short check instead).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from benchmarks import stats
from benchmarks.common import (
    Clocks,
    calibration_figures,
    calibration_passed,
    describe_race,
    epoch_clock,
    machine,
    race,
    ratio_figures,
    recording_path,
)

RESULT_FILE = recording_path("descent")
BATCH_SIZE = 256
LEARNING_RATE = 0.1
MOMENTUM = 0.9
TARGET = 0.8
FULL = dict(examples=30_000, min_rounds=16, max_rounds=1_000, budget_s=150.0)
QUICK = dict(examples=4_096, min_rounds=2, max_rounds=2, budget_s=None)


@contextlib.contextmanager
def training_cpu_mark(train: Callable[..., Any]) -> Iterator[list[float]]:
    """Record the process CPU time at which ``train`` (our loop) draws each epoch's batches.

    The first mark falls after tracing and the warm-up update, where the loop's own
    training clock starts. The hook wraps ``epoch_batches`` as the loop's module sees it
    (``train.__globals__``), wherever that module lives in the package.
    """
    names = train.__globals__
    original = names.get("epoch_batches")
    if original is None:
        raise RuntimeError(
            f"{train.__module__}.{train.__name__} no longer calls epoch_batches: "
            "update training_cpu_mark so that the CPU clock starts where the training clock does"
        )
    marks: list[float] = []

    def marked(*args: Any, **kwargs: Any) -> Any:
        marks.append(time.process_time())
        return original(*args, **kwargs)

    names["epoch_batches"] = marked
    try:
        yield marks
    finally:
        names["epoch_batches"] = original


def run(quick: bool = False) -> dict:
    """Race our loop against ``model.fit`` at batch size 256; return the measurements.

    Args:
        quick: 4,096 images, 2 rounds (a few seconds, a check that it runs)
            instead of 30,000 images and as many rounds as the intervals need.

    Returns:
        A JSON-ready dict: settings, and figures (see :func:`benchmarks.stats.summarize`):
        examples/s of each loop, ``descent_ratio_cpu`` and ``descent_ratio_wall``
        (ours / fit, target at least 0.8) with intervals and verdicts, the
        end-to-end ratio, and the calibration race's ratios (``descent_calibration_ratio_*``).
    """
    import dltips

    dltips.configure(seed=0)
    import keras

    from dltips import data, descent, models

    settings = QUICK if quick else FULL
    num_examples = settings["examples"]
    x, y = data.train_subset(num_examples, seed=0)
    model = models.mlp((128,), seed=0)
    initial = model.get_weights()
    # No metrics: our loop computes none either.
    models.compile_classifier(model, keras.optimizers.SGD(LEARNING_RATE, momentum=MOMENTUM), metrics=[])

    def fit_contender() -> Callable[[], Clocks]:
        clock = epoch_clock()

        def fit_once() -> Clocks:
            model.set_weights(initial)
            wall = time.perf_counter()
            model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, shuffle=True, verbose=0, callbacks=[clock])
            return {**clock.reading, "end_to_end": time.perf_counter() - wall}

        return fit_once

    def ours_once() -> Clocks:
        model.set_weights(initial)
        wall = time.perf_counter()
        with training_cpu_mark(descent.train_gradient_descent) as marks:
            history = descent.train_gradient_descent(
                model, x, y, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE, epochs=1, momentum=MOMENTUM, evaluate=False,
            )
            cpu_end = time.process_time()
        return {
            "wall": float(history.seconds[-1]),
            "cpu": cpu_end - marks[0],
            "end_to_end": time.perf_counter() - wall - history.compile_seconds,
        }

    def timed_race(name: str, a: Callable[[], Clocks], b: Callable[[], Clocks]):
        print(f"{name}: racing ...", flush=True)
        return race(a, b, min_rounds=settings["min_rounds"], max_rounds=settings["max_rounds"],
                    budget_s=settings["budget_s"])

    figures: dict[str, Any] = {}
    cal = timed_race("descent_calibration", fit_contender(), fit_contender())
    figures |= calibration_figures("descent_calibration", cal, contenders="model.fit against itself")
    print(describe_race("descent_calibration", figures), flush=True)
    calibrated = calibration_passed(figures)

    outcome = timed_race("descent", ours_once, fit_contender())
    ratios = ratio_figures("descent", outcome, at_least=TARGET, calibration=calibrated)
    print(describe_race("descent", ratios), flush=True)
    figures |= {
        "descent_dltips": stats.summarize([num_examples / s for s in outcome.readings["a"]["wall"]], "examples/s"),
        "descent_keras_fit": stats.summarize([num_examples / s for s in outcome.readings["b"]["wall"]], "examples/s"),
        **ratios,
        "descent_ratio_end_to_end": stats.summarize(outcome.throughput_ratios("end_to_end"), "ratio", clock="end_to_end"),
    }


    return {
        "benchmark": "descent: examples per second, our tf.function loop vs model.fit",
        "quick": quick,
        "settings": {
            "model": "mlp((128,)) 784-128-10, logits",
            "optimizer": f"SGD(learning_rate={LEARNING_RATE}, momentum={MOMENTUM})",
            "batch_size": BATCH_SIZE,
            "examples_per_round": num_examples,
            "epochs_per_run": 1,
            "min_rounds": settings["min_rounds"],
            "budget_s_per_race": settings["budget_s"],
            "ratio": "ours / fit, examples per second on the training clocks, per round",
        },
        **figures,
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small, fast run (for checks, not for the record)")
    args = parser.parse_args()
    wall, cpu = time.perf_counter(), time.process_time()
    result = run(quick=args.quick)
    result["benchmark_wall_seconds"] = time.perf_counter() - wall
    result["benchmark_cpu_seconds"] = time.process_time() - cpu
    print(describe_race("descent", {k: result[k] for k in ("descent_ratio_cpu", "descent_ratio_wall")}))
    if args.quick:  # a check, not a record: never replace the recorded file
        print(json.dumps(result, indent=2))
        return
    RESULT_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULT_FILE.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULT_FILE}")


if __name__ == "__main__":
    main()
