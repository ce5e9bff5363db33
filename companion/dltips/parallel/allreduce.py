"""The all-reduce of synchronous data parallelism, from scratch: what the replicas' gradients add up to.

Under a ``tf.distribute`` strategy each of ``N`` replicas computes the gradient of its share of
the global mean loss, :math:`\\nabla_w \\frac{1}{B}\\sum_{i \\in S_r} \\ell_i(w)`, on its own slice
:math:`S_r` of the global batch of ``B`` examples; the all-reduce adds the ``N`` gradients,
variable by variable, and gives every replica the same sum. Because each share is divided by the
global ``B``, the sum is the gradient of the mean loss over the whole batch: exactly the gradient
single-device SGD takes with batch ``B``. These two functions let a reader see it with NumPy
arrays: :func:`replica_gradients` computes the shares, :func:`all_reduce_sum` adds them.

Example::

    >>> import numpy as np
    >>> from dltips.parallel import allreduce
    >>> allreduce.all_reduce_sum([[np.ones(2)], [2 * np.ones(2)]])[0].tolist()
    [3.0, 3.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dltips.checks import check_int

__all__ = ["all_reduce_sum", "replica_gradients"]


def all_reduce_sum(per_replica: Sequence[Sequence[Any]]) -> list[np.ndarray]:
    """The all-reduce of synchronous training: the replicas' gradients summed, variable by variable.

    :math:`\\bar g_v = \\sum_{r=1}^{N} g_{r,v}` for every variable ``v``; every replica receives
    the same list. (A real all-reduce, ring or tree, computes the same sum without any one
    process holding every gradient.)

    Args:
        per_replica: one list of gradients per replica, each with one array per variable, in the
            same order and of the same shapes.

    Returns:
        The sums, one ``float64`` array per variable.

    Raises:
        ValueError: if there is no replica, or the replicas' lists differ in length or shapes.

    Example::

        >>> import numpy as np
        >>> summed = all_reduce_sum([[np.array([1.0, 2.0]), np.array(3.0)],
        ...                          [np.array([0.5, 0.5]), np.array(1.0)]])
        >>> [s.tolist() for s in summed]
        [[1.5, 2.5], 4.0]
    """
    replicas = [[np.asarray(g, dtype=np.float64) for g in grads] for grads in per_replica]
    if not replicas:
        raise ValueError("per_replica must hold the gradients of at least one replica, got none")
    shapes = [[g.shape for g in grads] for grads in replicas]
    if any(s != shapes[0] for s in shapes):
        raise ValueError(f"per_replica: every replica needs one gradient per variable, of the same shapes; got {shapes}")
    return [np.sum([grads[v] for grads in replicas], axis=0) for v in range(len(replicas[0]))]


def replica_gradients(model: Any, x: np.ndarray, y: np.ndarray, num_replicas: int) -> list[list[np.ndarray]]:
    """Each replica's gradient of its share of the global mean loss, as a strategy computes it.

    The global batch ``x, y`` of ``B`` examples is cut into ``num_replicas`` consecutive slices
    (as ``tf.distribute`` splits a batch); replica ``r`` computes
    :math:`\\nabla_w \\frac{1}{B}\\sum_{i \\in S_r} \\ell_i(w)` with the sparse categorical
    cross-entropy of the model's logits, divided by the global ``B``, not by its own slice's size
    (what ``tf.nn.compute_average_loss(..., global_batch_size=B)`` does).

    Args:
        model: a Keras model returning logits.
        x, y: the global batch, images and integer labels.
        num_replicas: the number of replicas, at least 1 and at most ``B``.

    Returns:
        One list per replica, with one NumPy array per trainable variable.

    Raises:
        ValueError: if ``num_replicas`` is not an integer from 1 to ``len(x)``, or ``x`` and ``y``
            differ in length.

    Example::

        >>> import numpy as np
        >>> from dltips import models
        >>> model = models.mlp((4,), seed=0)
        >>> x, y = np.zeros((6, 28, 28), "float32"), np.arange(6) % 10
        >>> per_replica = replica_gradients(model, x, y, 2)
        >>> len(per_replica), len(per_replica[0]) == len(model.trainable_variables)
        (2, True)
    """
    if len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of examples, got {len(x)} and {len(y)}")
    n = check_int("num_replicas", num_replicas, minimum=1, maximum=max(len(x), 1))
    import keras
    import tensorflow as tf

    loss_of_example = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    shares = []
    for xs, ys in zip(np.array_split(x, n), np.array_split(y, n)):
        with tf.GradientTape() as tape:
            share = tf.reduce_sum(loss_of_example(ys, model(xs, training=False))) / len(x)
        shares.append([g.numpy() for g in tape.gradient(share, model.trainable_variables)])
    return shares
