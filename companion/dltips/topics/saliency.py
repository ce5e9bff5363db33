"""Gradient saliency maps: which pixels would change a class score most.

Simonyan et al. (2014) rank the pixels of an image ``x`` by how strongly the
score ``S_c`` of a class ``c`` (the logit, before the softmax) responds to them:

.. math::

    M = \\left| \\frac{\\partial S_c(x)}{\\partial x} \\right|

For a linear model ``S_c(x) = w_c · x + b_c`` the map is ``|w_c|`` whatever the
image; for a deep network it depends on the image, and shows the strokes whose
change would change the decision. It is a local, first-order explanation: it
says where the score is sensitive, not why the model is right.

Example::

    >>> import numpy as np
    >>> from dltips.models import mlp
    >>> x = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    >>> gradient_saliency(mlp(seed=0), x).shape
    (5, 28, 28)
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from dltips.checks import check_number

__all__ = ["gradient_saliency", "plot_saliency"]


def gradient_saliency(
    model: keras.Model,
    x: np.ndarray,
    class_index: int | np.ndarray | None = None,
) -> np.ndarray:
    """``|∂ S_c / ∂x|`` for each image, where ``S_c`` is the logit of class ``c``.

    Args:
        model: a model that outputs logits (run in inference mode).
        x: a batch of images.
        class_index: the class to explain: one int for all images, one per
            image, or ``None`` for each image's predicted class.

    Returns:
        An array shaped like ``x``.

    Raises:
        ValueError: a class index outside the model's classes, or one array of
            indices of another length than ``x``.

    Example::

        >>> from dltips.models import mlp
        >>> model = mlp((), seed=0)  # linear: the map of class c is |w_c| for any image
        >>> maps = gradient_saliency(model, np.zeros((2, 28, 28), "float32"), class_index=3)
        >>> bool(np.allclose(maps[0].ravel(), np.abs(model.get_weights()[0][:, 3])))
        True
    """
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = model(x, training=False)
        num_classes = int(logits.shape[-1])
        if class_index is None:
            classes = tf.argmax(logits, axis=-1, output_type=tf.int32)
        else:
            classes = np.broadcast_to(np.asarray(class_index), (int(x.shape[0]),)) if np.ndim(class_index) == 0 \
                else np.asarray(class_index)
            if classes.shape != (int(x.shape[0]),):
                raise ValueError(f"class_index must be one int or one per image ({int(x.shape[0])}), "
                                 f"got shape {classes.shape}")
            if classes.min() < 0 or classes.max() >= num_classes:
                raise ValueError(f"class_index must be in 0..{num_classes - 1}, got {class_index!r}")
            classes = tf.constant(classes, dtype=tf.int32)
        # Each image's score depends on its own pixels only, so one gradient of the sum gives all maps.
        score = tf.reduce_sum(tf.gather(logits, classes, axis=1, batch_dims=1))
    return np.abs(tape.gradient(score, x).numpy())


def plot_saliency(
    images: np.ndarray, maps: np.ndarray, labels: Sequence[int] | None = None, *, size: float = 1.4
) -> Figure:
    """Images in the top row, their saliency maps (brighter = more influential pixel) in the bottom row.

    Args:
        images: square images (or flattened square images).
        maps: one saliency map per image, as :func:`gradient_saliency` returns them.
        labels: a title per image, or ``None``.
        size: inches per image (> 0).

    Returns:
        The figure, two rows of ``len(images)`` panels.

    Raises:
        ValueError: ``images`` and ``maps`` empty or differing in number, or
            ``size`` not a number > 0.

    Example::

        >>> images = np.zeros((3, 28, 28), "float32")
        >>> fig = plot_saliency(images, images, labels=[1, 2, 3])
        >>> len(fig.axes)
        6
        >>> plt.close(fig)
    """
    check_number("size", size, low=0.0, low_open=True)
    if len(images) != len(maps) or len(images) == 0:
        raise ValueError(f"images and maps must be non-empty and equally many, got {len(images)} and {len(maps)}")
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(size * n, size * 2.2), squeeze=False)
    for i in range(n):
        side = int(round(np.sqrt(np.asarray(images[i]).size)))
        axes[0, i].imshow(np.asarray(images[i]).reshape(side, side), cmap="gray_r")
        axes[1, i].imshow(np.asarray(maps[i]).reshape(side, side), cmap="inferno")
        if labels is not None:
            axes[0, i].set_title(str(int(labels[i])), fontsize=9)
        for ax in axes[:, i]:
            ax.axis("off")
    axes[0, 0].text(-4, 14, "image", rotation=90, va="center", ha="right", fontsize=9)
    axes[1, 0].text(-4, 14, "saliency", rotation=90, va="center", ha="right", fontsize=9)
    fig.tight_layout()
    return fig
