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


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The worker's command-line options (``python -m dltips.parallel.worker --help`` lists them)."""
    parser = argparse.ArgumentParser(prog="python -m dltips.parallel.worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="mnist", help="an .npz file with arrays x and y, or 'mnist'")
    parser.add_argument("--examples", type=int, default=None, help="use only this many examples")
    parser.add_argument("--out", required=True, help="folder for result-<index>.json and the chief's weights")
    parser.add_argument("--steps", type=int, required=True, help="total SGD steps of the job")
    parser.add_argument("--global-batch-size", type=int, required=True, help="examples per step, all workers together")
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--hidden", type=common.parse_hidden, default=(32,), help="hidden layer sizes, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint-dir", default=None, help="checkpoints (shared by all machines); resumes from it")
    parser.add_argument("--checkpoint-every", type=int, default=0)
    parser.add_argument("--warmup-steps", type=int, default=0, help="steps left out of the throughput")
    parser.add_argument("--threads", type=int, default=None, help="TensorFlow intra/inter-op threads")
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--crash-at-step", type=int, default=None, help="simulate a failure after this step")
    parser.add_argument("--crash-worker", type=int, default=1)
    parser.add_argument("--crash-mode", choices=("kill", "raise"), default="kill")
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    if args.warmup_steps < 0 or args.log_every < 1 or args.checkpoint_every < 0:
        parser.error("--warmup-steps and --checkpoint-every must be >= 0, --log-every >= 1")
    if args.steps < 1 or args.global_batch_size < 1:
        parser.error("--steps and --global-batch-size must be >= 1")
    return args


def cluster_position() -> tuple[int, int]:
    """``(index, number of workers)`` from ``TF_CONFIG``; ``(0, 1)`` without it."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return 0, 1
    config = json.loads(raw)
    return int(config["task"]["index"]), len(config["cluster"]["worker"])


def main(argv: Sequence[str] | None = None) -> int:
    """Run one worker: join the cluster described by ``TF_CONFIG``, train, checkpoint, write results."""
    args = parse_args(argv)
    common.exit_with_parent()
    index, num_workers = cluster_position()
    common.check_training_args(args.steps, args.global_batch_size, args.learning_rate, num_workers)
    x, y = common.load_training_data(args.data, args.examples, args.seed)
    os.makedirs(args.out, exist_ok=True)

    from dltips.runtime import configure

    configure(seed=args.seed, threads=args.threads)
    import tensorflow as tf

    from dltips.parallel.multiworker import train_custom_loop

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
        if step % args.log_every == 0 or step == args.steps:
            print(f"worker {index}: step {step} loss {loss:.4f}", flush=True)
        if args.crash_at_step == step and args.crash_worker == index:
            print(f"worker {index}: simulated failure after step {step} ({args.crash_mode})", flush=True)
            if args.crash_mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)  # no clean-up, as when a machine is lost
            raise RuntimeError(f"simulated failure of worker {index} after step {step}")

    result = train_custom_loop(
        x, y, steps=args.steps, global_batch_size=args.global_batch_size, learning_rate=args.learning_rate,
        hidden=args.hidden, seed=args.seed, strategy=strategy, checkpoint_dir=args.checkpoint_dir,
        checkpoint_every=args.checkpoint_every, warmup_steps=args.warmup_steps, on_step=on_step,
    )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "index": index, "num_workers": num_workers, "num_replicas": result.num_replicas,
        "start_step": result.start_step, "final_step": result.final_step, "losses": result.losses,
        "seconds": result.seconds, "examples_per_second": result.examples_per_second,
        "loop_cpu_seconds": result.cpu_seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }
    if index == 0:
        common.save_weights(os.path.join(args.out, "weights-0.npz"), result.weights)
    common.write_json(os.path.join(args.out, f"result-{index}.json"), report)
    print(f"worker {index}: done, step {result.final_step}, {result.examples_per_second:.0f} examples/s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
