"""One worker of a synchronous multi-worker job: ``python -m dltips.parallel.worker``.

The same command runs on a laptop (started N times by
:func:`dltips.parallel.launcher.launch_workers`) and on N real machines: each
machine sets ``TF_CONFIG`` to the list of all workers and its own index, then
runs the same command, for example on the first of two machines::

    export TF_CONFIG='{"cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]},
                       "task": {"type": "worker", "index": 0}}'
    python -m dltips.parallel.worker --data mnist --steps 500 --global-batch-size 256 \\
        --checkpoint-dir /shared/ckpt --checkpoint-every 50 --out results/

(and ``"index": 1`` on the second). Without ``TF_CONFIG`` it trains alone on
one device. Worker 0 is the chief: it keeps the checkpoints (on a folder all
machines can reach) and writes ``weights-0.npz``; every worker writes
``result-<index>.json`` to ``--out``.

Run such a cluster on a trusted network only: each worker's TensorFlow server
listens on every network interface and has no authentication, so anyone who
can reach its port can run code in it. (On one machine the launcher keeps the
workers off the network; across machines, that is the network's job: a private
network, or a firewall that admits only the cluster's machines to these ports.)

A worker ends at once on SIGTERM, as it would without TensorFlow (which
replaces the signal's action with a notice that nothing reads).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
from collections.abc import Sequence

from dltips.parallel import common
from dltips.parallel.multiworker import MultiWorkerSettings

__all__ = ["cluster_position", "main", "parse_args"]


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, MultiWorkerSettings]:
    """The worker's command line: its files and its :class:`~dltips.parallel.multiworker.MultiWorkerSettings`.

    ``python -m dltips.parallel.worker --help`` lists the options: ``--data``,
    ``--examples``, ``--out`` (a folder for ``result-<index>.json`` and the
    chief's weights) and one flag per setting.

    Args:
        argv: the arguments (``None``: ``sys.argv[1:]``).

    Returns:
        ``(files, settings)``: ``files`` has ``data``, ``examples`` and ``out``.

    Raises:
        SystemExit: a malformed flag or a value outside its range, reported in one line.

    Example::

        >>> files, settings = parse_args(["--out", "results", "--steps", "50", "--global-batch-size", "256"])
        >>> files.out, settings.steps, settings.hidden
        ('results', 50, (32,))
    """
    return MultiWorkerSettings.parse_command_line(
        argv, prog="python -m dltips.parallel.worker", description=__doc__.split("\n\n")[0],
        out_help="folder for result-<index>.json and the chief's weights")


def cluster_position() -> tuple[int, int]:
    """``(index, number of workers)`` from ``TF_CONFIG``; ``(0, 1)`` without it.

    Returns:
        This worker's index and the number of workers in the cluster.

    Example::

        >>> import os
        >>> from dltips.parallel.launcher import tf_config
        >>> os.environ["TF_CONFIG"] = tf_config([41001, 41002, 41003], 2)
        >>> cluster_position()
        (2, 3)
        >>> del os.environ["TF_CONFIG"]
    """
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return 0, 1
    config = json.loads(raw)
    return int(config["task"]["index"]), len(config["cluster"]["worker"])


def main(argv: Sequence[str] | None = None) -> int:
    """Run one worker: join the cluster described by ``TF_CONFIG``, train, checkpoint, write results.

    Args:
        argv: the command line (see :func:`parse_args`).

    Returns:
        0 (the exit status) once the results are written.

    Raises:
        SystemExit: a bad command line.
        ValueError: settings the cluster cannot run (a global batch the workers cannot share evenly).

    Example::

        >>> # trains, and joins the cluster of TF_CONFIG: run it as python -m dltips.parallel.worker
        >>> main(["--out", "results", "--steps", "5", "--global-batch-size", "32"])  # doctest: +SKIP
        0
    """
    files, settings = parse_args(argv)
    common.exit_with_parent()
    index, num_workers = cluster_position()
    settings.check_workers(num_workers)
    x, y = common.load_training_data(files.data, files.examples, settings.seed)
    os.makedirs(files.out, exist_ok=True)

    from dltips.runtime import configure

    configure(seed=settings.seed, threads=settings.threads)
    import tensorflow as tf

    from dltips.parallel.multiworker import train_with_settings

    if num_workers > 1 or os.environ.get("TF_CONFIG"):
        # RING: collectives over gRPC, the implementation that works on CPUs.
        options = tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING
        )
        strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
        common.end_on_sigterm()
    else:
        strategy = tf.distribute.get_strategy()
    print(f"worker {index}/{num_workers}: {strategy.num_replicas_in_sync} replicas in sync", flush=True)

    first_step = []

    def on_step(step: int, loss: float) -> None:
        if not first_step:
            first_step.append(step)
            if step > 1:
                print(f"worker {index}: resumed from the checkpoint of step {step - 1}", flush=True)
        if step % settings.log_every == 0 or step == settings.steps:
            print(f"worker {index}: step {step} loss {loss:.4f}", flush=True)
        if settings.crash_at_step == step and settings.crash_worker == index:
            print(f"worker {index}: simulated failure after step {step} ({settings.crash_mode})", flush=True)
            if settings.crash_mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)  # no clean-up, as when a machine is lost
            raise RuntimeError(f"simulated failure of worker {index} after step {step}")

    result = train_with_settings(x, y, settings, strategy=strategy, on_step=on_step)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "index": index, "num_workers": num_workers, "num_replicas": result.num_replicas,
        "start_step": result.start_step, "final_step": result.final_step, "losses": result.losses,
        "seconds": result.seconds, "examples_per_second": result.examples_per_second,
        "loop_cpu_seconds": result.cpu_seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }
    if index == 0:
        common.save_weights(os.path.join(files.out, "weights-0.npz"), result.weights)
    common.write_json(os.path.join(files.out, f"result-{index}.json"), report)
    print(f"worker {index}: done, step {result.final_step}, {result.examples_per_second:.0f} examples/s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
