"""Parallel SGD with ``tf.distribute``: synchronous in one process, across processes, and asynchronous.

========================================  ===================================================
:mod:`~dltips.parallel.devices`           split the CPU into logical devices (before TF starts)
:mod:`~dltips.parallel.mirrored`          ``MirroredStrategy`` + Keras ``fit`` over those devices
:mod:`~dltips.parallel.multiworker`       ``MultiWorkerMirroredStrategy``, custom loop, checkpoints
:mod:`~dltips.parallel.worker`            the worker script (``python -m dltips.parallel.worker``)
:mod:`~dltips.parallel.launcher`          start workers with ``TF_CONFIG``, always end them
``dltips.parallel._loopback``             keep local workers off the network (loopback-only namespace)
:mod:`~dltips.parallel.parameter_server`  asynchronous ``ParameterServerStrategy`` and staleness
:mod:`~dltips.parallel.cost_model`        ring all-reduce α-β model of time per step
:mod:`~dltips.parallel.allreduce`         the all-reduce from scratch: the replicas' gradients summed
``dltips.parallel.experiment``             the scaling experiment (``dltips run parallel``)
``dltips.parallel.figures``                measured and projected scaling, staleness
``dltips.parallel.recording``              the recorded benchmark, typed (:class:`ParallelRecording`)
========================================  ===================================================

Submodules load on first use, so ``import dltips.parallel`` starts no
TensorFlow: a worker must set ``TF_CONFIG`` and its thread counts first. The
names of ``experiment``, ``figures`` and ``recording`` are importable from the package itself.

Example::

    >>> from dltips import parallel
    >>> parallel.cost_model.ring_allreduce_seconds(2, 4e6, parallel.cost_model.Network(1e9, 1e-5))
    0.00402
"""

from dltips._lazy import attach
from dltips.experiments import register

__getattr__, __dir__ = attach(
    __name__,
    ("allreduce", "common", "cost_model", "devices", "launcher", "_loopback", "mirrored", "multiworker", "parameter_server", "worker",
     "experiment", "figures", "recording"),
    export_from=("experiment", "figures", "recording"),
)

register(
    "parallel",
    "Synchronous multi-worker SGD (1 and 2 worker processes): same weights as one device, measured throughput, "
    "cost-model projection",
    "dltips.parallel.experiment:command",
)
