"""Knowledge distillation: a small student learns from a large teacher's soft targets.

Hinton, Vinyals and Dean (2015) train the student on a weighted sum of the usual
cross-entropy with the true labels and :math:`T^2` times the KL divergence between
the teacher's and the student's distributions softened at temperature :math:`T`.

The modules, by idea:

* ``loss``: :func:`soft_targets`, :func:`distillation_loss` and :class:`Distiller`
  from scratch (tested against ``keras.distillation``), :class:`SoftTargetLoss` for a
  teacher's logits computed once, and :func:`pseudo_label`, the article's method with
  its bug fixed;
* ``training``: the one way to build and train a teacher (:func:`train_teacher`, with
  the input jitter :class:`RandomShift`) and a student (:func:`train_student`: from
  scratch, or distilled), used by every experiment below;
* ``experiment``: :func:`distillation_experiment`, the chapter's laptop-sized experiment
  and ``dltips run distillation``;
* ``recipe``: :class:`PaperRecipe`, the settings of the paper-sized run;
* ``paper``: :func:`paper_experiment`, Hinton et al.'s MNIST table at full size (a
  jittered 2×1200 teacher, a 2×800 and a compression student, several seeds);
* ``omitted_digit``: :func:`omitted_digit_experiment` and its :class:`OmittedDigitSettings`,
  the paper's second MNIST experiment;
* ``results``: the paper's numbers, the result types of the paper-sized experiments and
  the reader of their recording (tables and a figure);
* ``figures``: the method, soft targets, the :math:`T^2` gradient scale, the temperature sweep.

Default temperatures, one per kind of function: the loss and the trainer built on it
(:class:`Distiller`, :class:`SoftTargetLoss`, :func:`train_student`) default to
``T = 3``, Keras's (``keras.distillation.LogitsDistillation``); the chapter's experiment to
``T = 4``, for its small 2×64 student (the paper found 2.5 to 4 best for small students);
the paper-sized experiments (:class:`PaperRecipe`, :class:`OmittedDigitSettings`) to the
paper's ``T = 20``; :func:`soft_targets` and :func:`distillation_loss` take ``T`` without a default.

Every public name is importable from the package itself; the modules load on first
use, so ``import dltips.distillation`` does not start TensorFlow, and neither does
asking for a name of ``recipe``, ``results`` or ``figures``: the loader finds a name's
module from the modules' ``__all__`` without importing the others (``dltips._lazy``).

Example::

    >>> import numpy as np
    >>> from dltips import distillation
    >>> [round(float(p), 4) for p in np.asarray(distillation.soft_targets(np.array([[2.0, 0.0]]), temperature=2.0))[0]]
    [0.7311, 0.2689]
"""

from dltips._lazy import attach
from dltips.experiments import register

# The modules that import neither TensorFlow nor Keras (a page that only shows a recording loads in a second).
_WITHOUT_TENSORFLOW = ("recipe", "results", "figures")

__getattr__, __dir__ = attach(
    __name__, ("loss", "training", "experiment", "paper", "omitted_digit", *_WITHOUT_TENSORFLOW))

register(
    "distillation",
    "Knowledge distillation: teacher, student from scratch, student on pseudo-labels, distilled student, temperature sweep",
    "dltips.distillation.experiment:command",
)
