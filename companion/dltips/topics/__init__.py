"""The topics of chapters 2 and 5 beyond the five techniques, one module each.

======================================  ==========================================================
module                                  what it holds
======================================  ==========================================================
:mod:`~dltips.topics.capacity`          overfitting: train/test curves, capacity against data size
:mod:`~dltips.topics.model_costs`       the cost of the book's models: parameters, arithmetic, time
:mod:`~dltips.topics.optimizers`        RMSprop, Adam, AdamW and Lion from scratch; a comparison
:mod:`~dltips.topics.precision`         mixed precision (dtype policies) and what it costs
:mod:`~dltips.topics.privacy`           DP-SGD from scratch and a Rényi-DP accountant
:mod:`~dltips.topics.robustness`        FGSM adversarial examples, accuracy against ε
:mod:`~dltips.topics.saliency`          gradient saliency maps
======================================  ==========================================================

They are grouped apart from the five techniques (``dltips.regularization`` …
``dltips.distillation``), which the book teaches in full; these illustrate a
concept (chapter 2) or a trend (chapter 5). Modules load on first use.

Example::

    >>> from dltips import topics
    >>> topics.privacy.rdp_epsilon(1.1, 0.01, steps=1000, delta=1e-5) > 0
    True
"""

from dltips._lazy import attach

__getattr__, __dir__ = attach(
    __name__,
    ("capacity", "model_costs", "optimizers", "precision", "privacy", "robustness", "saliency"),
    export_from=(),
)
