"""Gradient descent from scratch: batch, stochastic and mini-batch, with momentum and Nesterov.

* ``update``: the update rule (:func:`apply_sgd_update`), written as ``keras.optimizers.SGD``
  writes it and tested against it, :func:`objective_and_gradients` and one step of both,
  :func:`gradient_descent_step`;
* ``training``: the training loop :func:`train_gradient_descent` (one loop for the three
  variants: only the batch size changes) and its Keras reference :func:`train_with_keras_sgd`;
* ``problems``: the article's ridge regression and a narrow valley to watch descent on;
* ``momentum``: why momentum helps on a quadratic: the leaky average of past gradients and the
  per-direction contraction factors, with Polyak's optimal tuning;
* ``experiment``: :func:`descent_race`, the chapter's experiment and ``dltips run descent``;
* ``figures``: paths on a loss surface, the momentum-valley diagram, and the race of batch sizes.

Every public name is importable from the package itself; the modules load on
first use, so ``import dltips.descent`` does not start TensorFlow.

Example::

    >>> from dltips import descent
    >>> [len(b) for b in descent.epoch_batches(10, 4, epoch=0)]
    [4, 4, 2]
"""

from dltips._lazy import attach
from dltips.experiments import register

__getattr__, __dir__ = attach(__name__, ("update", "training", "problems", "momentum", "experiment", "figures"))

register(
    "descent",
    "Gradient-descent race: batch sizes 1 (SGD), 32, 256 and all (BGD) compared per epoch, per update and per second",
    "dltips.descent.experiment:command",
)
