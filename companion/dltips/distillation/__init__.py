"""Knowledge distillation: a small student learns from a large teacher's soft targets.

Hinton, Vinyals and Dean (2015) train the student on a weighted sum of the usual
cross-entropy with the true labels and :math:`T^2` times the KL divergence between
the teacher's and the student's distributions softened at temperature :math:`T`.

* ``loss``: :func:`soft_targets`, :func:`distillation_loss` and :class:`Distiller`
  from scratch (tested against ``keras.distillation``), and :func:`pseudo_label`,
  the article's method with its bug fixed;
* ``experiment``: :func:`distillation_experiment`, the chapter's experiment and
  ``dltips run distillation``;
* ``paper``: Hinton et al.'s MNIST recipe at full size (a jittered 2×1200 teacher, a 2×800
  and a compression student, several seeds) and the omitted-digit experiment;
* ``figures``: soft targets, the :math:`T^2` gradient scale, the temperature sweep;
* ``results``: the paper's numbers, the paper-sized run's results and the book's tables of its
  recording, without TensorFlow (the pages that only show the recording start in a second).

Every public name is importable from the package itself; the modules load on
first use, so ``import dltips.distillation`` does not start TensorFlow.

Example::

    >>> import numpy as np
    >>> from dltips import distillation
    >>> [round(float(p), 4) for p in np.asarray(distillation.soft_targets(np.array([[2.0, 0.0]]), temperature=2.0))[0]]
    [0.7311, 0.2689]
"""

from dltips._lazy import attach
from dltips.experiments import register

__getattr__, __dir__ = attach(__name__, ("results", "loss", "experiment", "paper", "figures"))

register(
    "distillation",
    "Knowledge distillation: teacher, student from scratch, student on pseudo-labels, distilled student, temperature sweep",
    "dltips.distillation.experiment:command",
)
