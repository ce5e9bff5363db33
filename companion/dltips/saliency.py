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

    >>> maps = gradient_saliency(model, x_test[:5])  # doctest: +SKIP
    >>> maps.shape == x_test[:5].shape
    True
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


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
