"""Throughput of dltips.descent's training loop against Keras's own ``model.fit``.

Both train the same MLP (784-128-10) on the same MNIST images at batch size 256
with the same optimizer (SGD, η = 0.1, momentum 0.9), so the only difference is
the loop: ours is a Python loop over a ``tf.function``-compiled update
(:func:`dltips.descent.train_gradient_descent`), fit's is Keras's trainer.

Measured, per run, in examples per second:

- ``fit``: examples / fit's training clock, the summed wall time from the start
  to the end of each epoch (a callback reads the clock at ``on_epoch_begin`` and
  ``on_epoch_end``), with fit's train function traced beforehand;
- ``ours``: examples / our loop's training clock (``history.seconds``), from the
  first update to the last; like fit's, it leaves out tracing;
- ``*_end_to_end``: examples / wall time of the whole call, less tracing: fit's
  calls are warm (traced by a first call), and ours leave out ``compile_seconds``
  (tracing and one undone warm-up update). Both include their set-up (turning
  the arrays into tensors, building fit's input pipeline).

Our loop runs with ``evaluate=False``: its loss evaluations on the whole
training set are a teaching aid that ``model.fit`` does not make.

``ratio`` (ours / fit, medians of the training clocks) is the figure the target
of 0.8 applies to; ``ratio_end_to_end`` is given beside it.

Runs alternate between the two (which one goes first alternates too), so a
slowdown of a shared machine hits both; medians and the spread are reported.

Run ``python -m benchmarks.bench_descent [--quick]`` from the project root; it
writes ``benchmarks/results/descent.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

RESULT_FILE = Path(__file__).resolve().parent / "results" / "descent.json"
BATCH_SIZE = 256
LEARNING_RATE = 0.1
MOMENTUM = 0.9


def _summary(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": values,
    }


def run(quick: bool = False) -> dict:
    """Race our loop against ``model.fit`` at batch size 256; return the measurements.

    Args:
        quick: 10,000 images, 2 rounds of 1 epoch (a few seconds) instead of
            the full 60,000 images, 5 rounds of 2 epochs.

    Returns:
        A JSON-ready dict: settings, examples/s of each loop (median, min, max,
        every run), process CPU seconds, and ``ratio`` = median ours / median fit
        (the target is at least 0.8).
    """
    import dltips

    dltips.configure(seed=0)
    import keras

    from dltips import data, descent, models

    num_examples, rounds, epochs = (10_000, 2, 1) if quick else (60_000, 5, 2)
    x, y = data.train_subset(num_examples, seed=0) if quick else data.load_mnist()[:2]
    model = models.mlp((128,), seed=0)
    initial = model.get_weights()

    class EpochClock(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.seconds = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds += time.perf_counter() - self.started

    clock = EpochClock()

    def fit_once(n: int, fit_epochs: int) -> tuple[float, float, float]:
        model.set_weights(initial)
        wall, cpu = time.perf_counter(), time.process_time()
        model.fit(x[:n], y[:n], batch_size=BATCH_SIZE, epochs=fit_epochs, shuffle=True, verbose=0, callbacks=[clock])
        return clock.seconds, time.perf_counter() - wall, time.process_time() - cpu

    def ours_once(n: int, our_epochs: int) -> tuple[float, float, float]:
        model.set_weights(initial)
        wall, cpu = time.perf_counter(), time.process_time()
        history = descent.train_gradient_descent(
            model, x[:n], y[:n], batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE, epochs=our_epochs, momentum=MOMENTUM,
            evaluate=False,
        )
        return history.seconds[-1], time.perf_counter() - wall - history.compile_seconds, time.process_time() - cpu

    # No metrics: our loop computes none either.
    models.compile_classifier(model, keras.optimizers.SGD(LEARNING_RATE, momentum=MOMENTUM), metrics=[])
    fit_once(2 * BATCH_SIZE, 1)  # traces fit's train function; TensorFlow warms up its kernels
    ours_once(2 * BATCH_SIZE, 1)

    examples = num_examples * epochs
    fit_rate, fit_e2e_rate, ours_rate, ours_e2e_rate, fit_cpu, ours_cpu, pair_ratios = [], [], [], [], [], [], []
    for round_ in range(rounds):
        order = ("fit", "ours") if round_ % 2 == 0 else ("ours", "fit")
        for which in order:
            if which == "fit":
                train_seconds, wall, cpu = fit_once(num_examples, epochs)
                fit_rate.append(examples / train_seconds)
                fit_e2e_rate.append(examples / wall)
                fit_cpu.append(cpu)
            else:
                train_seconds, wall, cpu = ours_once(num_examples, epochs)
                ours_rate.append(examples / train_seconds)
                ours_e2e_rate.append(examples / wall)
                ours_cpu.append(cpu)
        pair_ratios.append(ours_rate[-1] / fit_rate[-1])
        print(f"round {round_ + 1}/{rounds}: fit {fit_rate[-1]:,.0f} ex/s, ours {ours_rate[-1]:,.0f} ex/s", flush=True)

    import tensorflow as tf

    return {
        "benchmark": "descent: examples per second, our tf.function loop vs model.fit",
        "quick": quick,
        "settings": {
            "model": "mlp((128,)) 784-128-10, logits",
            "optimizer": f"SGD(learning_rate={LEARNING_RATE}, momentum={MOMENTUM})",
            "batch_size": BATCH_SIZE,
            "examples": num_examples,
            "epochs_per_run": epochs,
            "rounds": rounds,
        },
        "fit_examples_per_second": _summary(fit_rate),
        "fit_end_to_end_examples_per_second": _summary(fit_e2e_rate),
        "ours_examples_per_second": _summary(ours_rate),
        "ours_end_to_end_examples_per_second": _summary(ours_e2e_rate),
        "fit_cpu_seconds_per_call": _summary(fit_cpu),
        "ours_cpu_seconds_per_call": _summary(ours_cpu),
        "note": "process CPU seconds per call: fit's calls are warm; ours include tracing and one warm-up update",
        "ratio": statistics.median(ours_rate) / statistics.median(fit_rate),
        "ratio_end_to_end": statistics.median(ours_e2e_rate) / statistics.median(fit_e2e_rate),
        "ratio_per_round": _summary(pair_ratios),
        "target_ratio": 0.8,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1min_at_end": os.getloadavg()[0],
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small, fast run (for checks, not for the record)")
    args = parser.parse_args()
    wall, cpu = time.perf_counter(), time.process_time()
    result = run(quick=args.quick)
    result["benchmark_wall_seconds"] = time.perf_counter() - wall
    result["benchmark_cpu_seconds"] = time.process_time() - cpu
    RESULT_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULT_FILE.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"ratio ours/fit = {result['ratio']:.2f} (end to end {result['ratio_end_to_end']:.2f}); written to {RESULT_FILE}")


if __name__ == "__main__":
    main()
