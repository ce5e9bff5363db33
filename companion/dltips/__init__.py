"""dltips: the companion package of the book *Training deep-learning models well*.

Each technique the book teaches lives in one small module:

==========================  ==========================================================
``dltips.data``             MNIST loading, class-balanced subsets, ``tf.data`` input
``dltips.models``           the small model builders every chapter shares
``dltips.regularization``   L1, L2, elastic net, dropout
``dltips.schedules``        learning-rate schedules
``dltips.descent``          batch, stochastic and mini-batch gradient descent
``dltips.parallel``         synchronous and asynchronous data-parallel SGD
``dltips.distillation``     knowledge distillation with soft targets
``dltips.capacity``         overfitting: learning curves, capacity against data size
``dltips.cost``             parameters, multiply-adds, measured time per epoch
``dltips.optimizers``       RMSprop, Adam, AdamW, Lion from scratch; comparisons
``dltips.precision``        mixed precision (dtype policies) and what it costs
``dltips.saliency``         gradient saliency maps
``dltips.privacy``          DP-SGD from scratch and a Rényi-DP accountant
``dltips.robustness``       FGSM adversarial examples, accuracy against ε
``dltips.plotting``         the figures of the book
``dltips.runtime``          seeding and quieter TensorFlow logs
``dltips.cli``              the ``dltips`` command
==========================  ==========================================================

Submodules are imported on first use, so ``import dltips`` is fast and does not
start TensorFlow::

    >>> import dltips
    >>> dltips.__version__
    '0.1.0'
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = (
    "data",
    "models",
    "regularization",
    "schedules",
    "descent",
    "parallel",
    "distillation",
    "capacity",
    "cost",
    "optimizers",
    "precision",
    "saliency",
    "privacy",
    "robustness",
    "plotting",
    "runtime",
    "cli",
)

__all__ = ["__version__", "configure", *_SUBMODULES]


def configure(seed: int | None = 0, *, quiet: bool = True, threads: int | None = None) -> None:
    """Prepare a fresh Python session (or notebook) for reproducible training.

    Shortcut for :func:`dltips.runtime.configure`.

    Example::

        >>> import dltips
        >>> dltips.configure(seed=0)
    """
    from dltips.runtime import configure as _configure

    _configure(seed, quiet=quiet, threads=threads)


def lazy_submodules(package: str, names: tuple[str, ...]) -> tuple[Any, Any]:
    """Module-level ``__getattr__`` and ``__dir__`` (PEP 562) that import ``package.<name>`` on first use.

    ``dltips`` and ``dltips.parallel`` use them so that importing a package
    starts no TensorFlow until a submodule that needs it is touched.
    """
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        if name in names:
            module = importlib.import_module(f"{package}.{name}")
            namespace[name] = module
            return module
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__


__getattr__, __dir__ = lazy_submodules(__name__, _SUBMODULES)
