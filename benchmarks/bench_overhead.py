"""What the package costs on top of Keras: examples per second of each ``dltips`` training path
against the equivalent plain Keras ``fit``, same model, data and batch size.

Paths measured here (each a pair, trained alternately in the same process, one epoch per run,
several rounds; the ratio is the median of the per-round ratios dltips / Keras):

- ``regularization``: a model whose kernels are penalized by our from-scratch
  :func:`dltips.regularization.l2_penalty` against one with ``keras.regularizers.L2``;
- ``schedules``: SGD driven by our :func:`dltips.schedules.cosine_decay` with the
  :class:`~dltips.schedules.LearningRateRecorder` callback, against Keras's ``CosineDecay``;
- ``models``: :func:`dltips.models.mlp` against the same network written as a plain ``keras.Sequential``;
- ``distillation``: our :class:`dltips.distillation.Distiller` against ``keras.distillation.Distiller``.

The from-scratch training loop (``dltips.descent``) has its own benchmark, ``bench_descent``.
Targets: at least 0.95 for paths that wrap ``fit``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks.common import figure, with_target

BATCH_SIZE = 128
TARGET = 0.95


def _race(name: str, train_a: Callable[[], None], train_b: Callable[[], None], examples: int, rounds: int) -> dict[str, Any]:
    """Alternate the two paths (who goes first alternates too); examples/s of each and their ratio."""
    train_a(), train_b()  # trace and warm up both
    rates_a, rates_b, ratios = [], [], []
    for r in range(rounds):
        pair = {}
        for which, fn in ((("a", train_a), ("b", train_b)) if r % 2 == 0 else (("b", train_b), ("a", train_a))):
            start = time.perf_counter()
            fn()
            pair[which] = examples / (time.perf_counter() - start)
        rates_a.append(pair["a"])
        rates_b.append(pair["b"])
        ratios.append(pair["a"] / pair["b"])
    print(f"{name}: dltips/keras = {statistics.median(ratios):.3f}", flush=True)
    return {
        f"{name}_dltips": figure(rates_a, "examples/s"),
        f"{name}_keras": figure(rates_b, "examples/s"),
        f"{name}_ratio": with_target(figure(ratios, "ratio"), at_least=TARGET),
    }


def run(quick: bool = False) -> dict[str, Any]:
    import dltips

    dltips.configure(seed=0)
    import keras

    from dltips import data, models, regularization, schedules

    n, rounds = (2_000, 2) if quick else (20_000, 5)
    x, y = data.train_subset(n, seed=0)
    steps = -(-n // BATCH_SIZE)

    def fitter(model: keras.Model, optimizer: Any, callbacks: list | None = None) -> Callable[[], None]:
        models.compile_classifier(model, optimizer)
        return lambda: model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0, callbacks=callbacks or [])

    lam = 1e-4
    results: dict[str, Any] = {}
    results |= _race(
        "regularization",
        fitter(models.mlp((256,), kernel_regularizer=lambda w: regularization.l2_penalty(w, lam), seed=0),
               keras.optimizers.SGD(0.05)),
        fitter(models.mlp((256,), kernel_regularizer=keras.regularizers.L2(lam), seed=0), keras.optimizers.SGD(0.05)),
        n, rounds,
    )
    total = steps * (rounds + 1)
    results |= _race(
        "schedules",
        fitter(models.mlp((256,), seed=0), keras.optimizers.SGD(schedules.cosine_decay(0.1, total, warmup_steps=steps)),
               [schedules.LearningRateRecorder()]),
        fitter(models.mlp((256,), seed=0),
               keras.optimizers.SGD(keras.optimizers.schedules.CosineDecay(0.0, total, warmup_target=0.1, warmup_steps=steps))),
        n, rounds,
    )
    plain = keras.Sequential([
        keras.Input((28, 28)), keras.layers.Flatten(),
        keras.layers.Dense(256, activation="relu"), keras.layers.Dense(10),
    ])
    results |= _race("models", fitter(models.mlp((256,), seed=0), keras.optimizers.SGD(0.05)),
                     fitter(plain, keras.optimizers.SGD(0.05)), n, rounds)
    results |= _distillation(x, y, n, rounds)
    return results


def _distillation(x: Any, y: Any, n: int, rounds: int) -> dict[str, Any]:
    import keras

    from dltips import distillation, models

    teacher = models.mlp((512, 512), seed=1, name="teacher")
    teacher.trainable = False
    temperature, alpha = 4.0, 0.1

    ours = distillation.Distiller(teacher=teacher, student=models.mlp((64,), seed=2, name="student_a"))
    ours.compile(optimizer=keras.optimizers.Adam(1e-3), alpha=alpha, temperature=temperature)
    theirs = keras.distillation.Distiller(
        teacher=teacher,
        student=models.mlp((64,), seed=2, name="student_b"),
        distillation_losses=keras.distillation.LogitsDistillation(temperature=temperature),
        student_loss_weight=alpha,
    )
    theirs.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return _race(
        "distillation",
        lambda: ours.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0),
        lambda: theirs.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0),
        n, rounds,
    )


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
