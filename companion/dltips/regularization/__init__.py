"""Regularization: L1, L2 (weight decay), elastic net and dropout, from scratch, checked and measured.

* ``penalties``: the penalties and dropout from scratch, the article's λ
  convention, L2 as weight decay (each tested against ``keras.regularizers``
  and ``keras.optimizers``);
* ``experiment``: :func:`compare_regularizers`, the chapter's experiment and
  ``dltips run regularization``;
* ``figures``: the conceptual diagrams (dropout's thinned networks, the L1 and
  L2 constraint regions), learning curves per variant, weight histograms;
* ``experiment`` also holds the small-data L2 demonstration and early stopping.

Every public name is importable from the package itself; the modules load on
first use, so ``import dltips.regularization`` does not start TensorFlow.

Example::

    >>> import numpy as np
    >>> from dltips import regularization
    >>> float(regularization.l2_penalty(np.array([3.0, 4.0], "float32"), 0.5))  # 0.5 · (9 + 16)
    12.5
"""

from dltips._lazy import attach
from dltips.experiments import register

__getattr__, __dir__ = attach(__name__, ("penalties", "experiment", "figures"))

register(
    "regularization",
    "Six regularizers (none, L1, L2, elastic net, dropout, L2 + dropout) on the same MLP: generalization gap and sparsity",
    "dltips.regularization.experiment:command",
)
