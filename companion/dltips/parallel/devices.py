"""Split the CPU into logical devices, so that ``MirroredStrategy`` has replicas to mirror over.

TensorFlow fixes its device list the first time it runs an operation; the
split must come before that, in a fresh process::

    >>> from dltips.parallel.devices import split_cpu
    >>> split_cpu(2)                                   # doctest: +SKIP
    ['/device:CPU:0', '/device:CPU:1']

The logical devices share the machine's cores and thread pools: they show how
data parallelism works, not how fast it is (for that, see the worker processes
of :mod:`dltips.parallel.multiworker`, one core each).
"""

from __future__ import annotations

from dltips.checks import check_int

__all__ = ["DevicesAlreadyInitializedError", "logical_cpus", "split_cpu"]


class DevicesAlreadyInitializedError(RuntimeError):
    """TensorFlow already fixed its devices, so they can no longer be split.

    Example::

        >>> isinstance(DevicesAlreadyInitializedError("too late"), RuntimeError)
        True
    """


def logical_cpus() -> list[str]:
    """Names of the logical CPU devices (this initializes TensorFlow's devices).

    Returns:
        The device names, e.g. ``['/device:CPU:0']``.

    Example::

        >>> logical_cpus()[0]
        '/device:CPU:0'
    """
    import tensorflow as tf

    return [d.name for d in tf.config.list_logical_devices("CPU")]


def split_cpu(num_devices: int) -> list[str]:
    """Present the first physical CPU as ``num_devices`` logical devices; returns their names.

    Calling it again with the same number does nothing.

    Args:
        num_devices: logical devices to make, an integer >= 1.

    Returns:
        Their names.

    Raises:
        ValueError: ``num_devices`` not an integer >= 1.
        DevicesAlreadyInitializedError: TensorFlow has already initialized its
            devices with another split (any operation, ``fit`` or device listing
            does that); run this first thing in a fresh process, or run the
            demonstration in a child process (:func:`dltips.parallel.mirrored.compare_in_child`).

    Example::

        >>> # must come before TensorFlow's first operation: first thing in a fresh process
        >>> split_cpu(2)  # doctest: +SKIP
        ['/device:CPU:0', '/device:CPU:1']
    """
    num_devices = check_int("num_devices", num_devices)
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is not None and len(current) == num_devices:
        return logical_cpus()
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices)
    except RuntimeError as err:
        raise DevicesAlreadyInitializedError(
            f"cannot split the CPU into {num_devices} logical devices: TensorFlow is already initialized "
            f"with {len(tf.config.list_logical_devices('CPU'))} logical CPU device(s) ({err}). Call "
            "split_cpu before TensorFlow runs any operation (first thing in a fresh process), or run "
            "the demonstration in a child process with dltips.parallel.mirrored.compare_in_child."
        ) from err
    return logical_cpus()
