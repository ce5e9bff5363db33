"""What the package costs on top of Keras: speed of each ``dltips`` training path against the
equivalent plain Keras ``fit``, same model, data and batch size.

Paths measured here (each a race of two contenders in the same process):

- ``regularization``: a model whose kernels are penalized by our from-scratch
  :func:`dltips.regularization.l2_penalty` against one with ``keras.regularizers.L2``;
- ``schedules``: SGD driven by our :func:`dltips.schedules.cosine_decay` with the
  :class:`~dltips.schedules.LearningRateRecorder` callback, against Keras's ``CosineDecay``;
- ``models``: :func:`dltips.models.mlp` against the same network written as a plain ``keras.Sequential``;
- ``distillation``: our :class:`dltips.distillation.Distiller` against ``keras.distillation.Distiller``
  with the same loss (``LogitsDistillation(T, loss=KLDivergence())``: Keras's default loss is not
  Hinton's, and computing a different loss would not be a fair race);
- ``calibration``: the plain Keras network against an identical, separately built copy of itself.
  Its ratio must come out even (its interval must hold 1.0); if it does not, the verdicts on
  that clock are ``too noisy``.

How (see :mod:`benchmarks.stats` for the statistics): a round trains each contender for one
epoch of 4,096 images, in ABBA order; a warm-up epoch of each comes first, so no timed epoch
includes tracing. Each epoch is timed by a callback from its start to its end (fit's set-up per
call is the same for both and would only dilute a difference), on two clocks: wall time, and
the process's CPU time (all of TensorFlow's threads), which another program's load disturbs
far less. Per round, the ratio is dltips's speed over Keras's; a figure is the median over
rounds with a 95 % bootstrap interval. Rounds are added until every interval is narrower than
5 % or the race has run for 150 s (at least 16 rounds). Target: a ratio of at least 0.95, judged
by the interval (met, missed or undecided), on each clock.

The from-scratch training loop (``dltips.descent``) has its own benchmark, ``bench_descent``.
A full run takes 3 to 14 minutes (less on a quiet machine, where the intervals narrow sooner).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks import stats
from benchmarks.common import (
    Clocks,
    Race,
    calibration_figures,
    calibration_passed,
    describe_race,
    epoch_clock,
    race,
    ratio_figures,
)

BATCH_SIZE = 128
TARGET = 0.95
FULL = dict(examples=4_096, min_rounds=16, max_rounds=1_000, budget_s=150.0)
QUICK = dict(examples=1_024, min_rounds=2, max_rounds=2, budget_s=None)


def contender(fit: Callable[[list], Any]) -> Callable[[], Clocks]:
    """A race contender from ``fit(callbacks)`` (one epoch): returns the epoch's wall and CPU seconds."""
    clock = epoch_clock()

    def run() -> Clocks:
        fit([clock])
        return dict(clock.reading)

    return run


def run(quick: bool = False) -> dict[str, Any]:
    import dltips

    dltips.configure(seed=0)
    import keras

    from dltips import data, models, regularization, schedules

    settings = QUICK if quick else FULL
    n = settings["examples"]
    x, y = data.train_subset(n, seed=0)
    steps = -(-n // BATCH_SIZE)

    def fitter(model: keras.Model, optimizer: Any, callbacks: list | None = None) -> Callable[[], Clocks]:
        models.compile_classifier(model, optimizer)
        return contender(lambda clock: model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0,
                                                 callbacks=[*(callbacks or []), *clock]))

    def plain() -> keras.Model:
        return keras.Sequential([
            keras.Input((28, 28)), keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"), keras.layers.Dense(10),
        ])

    def timed_race(name: str, a: Callable[[], Clocks], b: Callable[[], Clocks]) -> Race:
        print(f"{name}: racing ...", flush=True)
        return race(a, b, min_rounds=settings["min_rounds"], max_rounds=settings["max_rounds"],
                    budget_s=settings["budget_s"])

    results: dict[str, Any] = {
        "settings": {
            "examples_per_round": n, "batch_size": BATCH_SIZE, "epochs_per_run": 1,
            "min_rounds": settings["min_rounds"], "budget_s_per_race": settings["budget_s"],
            "resolution": stats.RESOLUTION, "confidence": stats.CONFIDENCE,
            "ratio": "speed of dltips over Keras per round (Keras's epoch seconds / dltips's)",
        },
    }
    cal = timed_race("calibration", fitter(plain(), keras.optimizers.SGD(0.05)), fitter(plain(), keras.optimizers.SGD(0.05)))
    cal_figures = calibration_figures("calibration", cal, contenders="plain Keras MLP against an identical copy")
    print(describe_race("calibration", cal_figures), flush=True)
    results |= cal_figures
    calibrated = calibration_passed(cal_figures)

    def judged(name: str, a: Callable[[], Clocks], b: Callable[[], Clocks]) -> None:
        outcome = timed_race(name, a, b)
        ratios = ratio_figures(name, outcome, at_least=TARGET, calibration=calibrated)
        print(describe_race(name, ratios), flush=True)
        results.update({
            f"{name}_dltips": stats.summarize([n / s for s in outcome.readings["a"]["wall"]], "examples/s"),
            f"{name}_keras": stats.summarize([n / s for s in outcome.readings["b"]["wall"]], "examples/s"),
            **ratios,
        })

    lam = 1e-4
    judged(
        "regularization",
        fitter(models.mlp((256,), kernel_regularizer=lambda w: regularization.l2_penalty(w, lam), seed=0),
               keras.optimizers.SGD(0.05)),
        fitter(models.mlp((256,), kernel_regularizer=keras.regularizers.L2(lam), seed=0), keras.optimizers.SGD(0.05)),
    )
    total = steps * (settings["max_rounds"] + 2)  # the rate only sets values, not cost: any horizon will do
    judged(
        "schedules",
        fitter(models.mlp((256,), seed=0), keras.optimizers.SGD(schedules.cosine_decay(0.1, total_steps=total, warmup_steps=steps)),
               [schedules.LearningRateRecorder()]),
        fitter(models.mlp((256,), seed=0),
               keras.optimizers.SGD(keras.optimizers.schedules.CosineDecay(0.0, total, warmup_target=0.1, warmup_steps=steps))),
    )
    judged("models", fitter(models.mlp((256,), seed=0), keras.optimizers.SGD(0.05)), fitter(plain(), keras.optimizers.SGD(0.05)))
    judged("distillation", *_distillers(x, y))
    return results


def _distillers(x: Any, y: Any) -> tuple[Callable[[], Clocks], Callable[[], Clocks]]:
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
        distillation_losses=keras.distillation.LogitsDistillation(temperature=temperature, loss=keras.losses.KLDivergence()),
        student_loss_weight=alpha,
    )
    theirs.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return (
        contender(lambda clock: ours.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0, callbacks=clock)),
        contender(lambda clock: theirs.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0, callbacks=clock)),
    )


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
