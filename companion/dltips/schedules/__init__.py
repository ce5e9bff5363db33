"""Learning-rate schedules: how the step size of gradient descent changes during training.

* ``decays``: the schedules from scratch, each a ``keras.optimizers.schedules.LearningRateSchedule``
  tested against its Keras built-in, :func:`learning_rates` to read one, and
  :class:`LearningRateRecorder` to record the rate a ``fit`` really used;
* ``experiment``: :func:`compare_schedules`, the chapter's experiment and ``dltips run schedules``;
* ``figures``: the rates over the steps, and the runs they drive;
* ``recording``: :class:`SeedRecording`, the recorded comparison over five seeds.

Every public name is importable from the package itself; the modules load on
first use, so ``import dltips.schedules`` does not start TensorFlow.

Example::

    >>> from dltips import schedules
    >>> schedules.learning_rates(schedules.step_decay(1.0, gamma=0.5, step_size=2), 5).tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25]
"""

from dltips._lazy import attach
from dltips.experiments import register

__getattr__, __dir__ = attach(__name__, ("decays", "experiment", "figures", "recording"))

register(
    "schedules",
    "Eight learning-rate plans (constant, exponential, step, linear, inverse-time, cosine with warm-up) on the same SGD budget",
    "dltips.schedules.experiment:command",
)
