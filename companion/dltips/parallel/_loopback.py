"""Keep local workers off the network: run them where the loopback interface is the only one.

TensorFlow's gRPC servers (every ``MultiWorkerMirroredStrategy`` worker, every
``tf.distribute.Server``) listen on *all* network interfaces, whatever host
``TF_CONFIG`` names (``0.0.0.0`` is written into TensorFlow's server), and they
have no authentication: anyone who can reach the port can run graphs in the
process. A cluster on one machine has no reason to be reachable from outside, so
on Linux :mod:`dltips.parallel.launcher` starts its processes in a private
network namespace whose only interface is the loopback one: they reach each
other on ``127.0.0.1`` and nothing else reaches them.

The namespace is made by a short-lived helper (``python -m
dltips.parallel._loopback hold``): it leaves the machine's network namespace,
brings its own loopback interface up, and reports ``ready``; the launcher then
keeps the namespace open by file descriptor and starts every process through
``python -m dltips.parallel._loopback join FDS -- COMMAND...``, which enters the
namespace and ``exec``\\ s the command (same process id, same process group). A
user without root privileges makes the namespace inside a user namespace that
maps their own user and group ids to themselves.

Where the system allows none of this (not Linux, or user namespaces disabled),
:func:`open_namespace` says why, and the launcher either refuses
(``loopback_only=True``) or warns and starts the processes on the machine's
network. A cluster of several machines cannot be isolated this way: it must run
on a trusted network (see the README).

Example::

    >>> namespace = open_namespace()                      # doctest: +SKIP
    >>> namespace.command(["python", "-c", "import socket; print(socket.if_nameindex())"])  # doctest: +SKIP
    [..., 'join', '5,6', '--', 'python', '-c', ...]
    >>> namespace.close()                                 # doctest: +SKIP
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import select
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["LoopbackNamespace", "NamespaceUnavailable", "open_namespace"]

MODULE = "dltips.parallel._loopback"
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_IFREQ = "16sH22x"  # struct ifreq: the interface name, then the flags (40 bytes on 64-bit Linux)


class NamespaceUnavailable(RuntimeError):
    """This system cannot give processes a private loopback-only network (the message says why)."""


@dataclass
class LoopbackNamespace:
    """An open private network namespace (and, for a user without root, its user namespace).

    Attributes:
        fds: open descriptors of the namespaces to enter, user namespace first.
    """

    fds: tuple[int, ...]

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` wrapped so that it runs inside the namespace."""
        return [sys.executable, "-m", MODULE, "join", ",".join(map(str, self.fds)), "--", *argv]

    def close(self) -> None:
        """Close the descriptors; the namespace goes when its last process ends."""
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = ()


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as f:
        f.write(text)


def _bring_loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = struct.unpack(_IFREQ, fcntl.ioctl(s, _SIOCGIFFLAGS, struct.pack(_IFREQ, b"lo", 0)))[1]
        fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack(_IFREQ, b"lo", flags | _IFF_UP))


def _leave_network() -> None:
    """Move this (single-threaded) process into a new network namespace with its loopback interface up."""
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWNET if uid == 0 else CLONE_NEWUSER | CLONE_NEWNET
    _call(_libc().unshare(flags), "unshare")
    if uid != 0:
        # Stay who we are inside the user namespace (files keep their owner).
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _bring_loopback_up()


def _hold() -> int:
    try:
        _leave_network()
    except OSError as exc:
        print(f"unavailable: {exc}", flush=True)
        return 1
    print("ready", flush=True)
    sys.stdin.read()  # until the launcher has opened the namespace (or has died)
    return 0


def _join(fds: str, argv: Sequence[str]) -> int:
    libc = _libc()
    for fd in (int(f) for f in fds.split(",")):
        _call(libc.setns(fd, 0), "setns")
        os.close(fd)
    os.execvp(argv[0], list(argv))
    return 127  # pragma: no cover - execvp does not return


def open_namespace(timeout: float = 60.0) -> LoopbackNamespace:
    """Make a private network namespace whose only interface is the loopback one, and keep it open.

    Args:
        timeout: seconds the helper process may take to start.

    Returns:
        a :class:`LoopbackNamespace`; close it once every process is started.

    Raises:
        NamespaceUnavailable: not Linux, or the system refuses new namespaces to this user.
    """
    if not sys.platform.startswith("linux"):
        raise NamespaceUnavailable(f"private network namespaces need Linux, this is {sys.platform}")
    helper = subprocess.Popen(
        [sys.executable, "-m", MODULE, "hold"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True, text=True,
    )
    try:
        answer = _read_line(helper, timeout)
        if answer != "ready":
            raise NamespaceUnavailable(answer.removeprefix("unavailable: ") or "the helper process gave no answer")
        kinds = ("net",) if os.geteuid() == 0 else ("user", "net")
        fds = []
        try:
            for kind in kinds:
                fds.append(os.open(f"/proc/{helper.pid}/ns/{kind}", os.O_RDONLY | os.O_CLOEXEC))
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            raise NamespaceUnavailable(f"cannot open the namespace ({exc})") from exc
        return LoopbackNamespace(tuple(fds))
    finally:
        helper.stdin.close()
        try:
            helper.wait(timeout=10)
        except subprocess.TimeoutExpired:
            helper.kill()
            helper.wait()
        helper.stdout.close()


def _read_line(helper: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([helper.stdout], [], [], 0.1)
        if ready:
            return helper.stdout.readline().strip()
        if helper.poll() is not None:
            return helper.stdout.read().strip()
    return f"no answer from the helper process within {timeout:g} s"


def main(argv: Sequence[str] | None = None) -> int:
    """``hold`` (make the namespace, wait) or ``join FDS -- COMMAND...`` (enter it, run the command)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["hold"]:
        return _hold()
    if len(args) >= 4 and args[0] == "join" and args[2] == "--":
        try:
            return _join(args[1], args[3:])
        except OSError as exc:
            print(f"{MODULE}: cannot enter the private network namespace ({exc})", file=sys.stderr)
            return 126 if exc.errno != errno.ENOENT else 127
    print(f"usage: python -m {MODULE} hold | join FDS -- COMMAND...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
