"""The machine a recording was made on: one description, written and read the same way by every benchmark.

Every recording (and every section of ``latest``) carries it under ``"machine"``;
the benchmarks write it with :meth:`Machine.here`, the book reads it with
:meth:`Machine.of`. Plain data: no TensorFlow, no Matplotlib.

Example::

    >>> from dltips.recordings import Machine, recorded
    >>> Machine.of(recorded("parallel")).cores
    2
"""

from __future__ import annotations

import dataclasses
import os
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

__all__ = ["PACKAGES", "Machine"]

#: The packages whose versions :meth:`Machine.here` records (those installed).
PACKAGES = ("dltips", "tensorflow", "keras", "numpy", "jupyter-book")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:  # pragma: no cover - not on Linux
        model = None
    return model or platform.processor() or None


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not on every platform
        return None


def _load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - not on every platform
        return None


@dataclasses.dataclass(frozen=True)
class Machine:
    """Where and with what a recording was measured.

    Attributes:
        cores: the CPU cores the run could use.
        python: the Python version, ``"3.11.7"``.
        platform: ``platform.platform()``, or only the CPU architecture (``"x86_64"``)
            where the recording kept no more.
        cpu: the CPU's model name, where recorded.
        memory_gib: the machine's memory in GiB, where recorded.
        versions: package → version of the packages that did the work.
        date: when the run ended (ISO 8601, UTC), where recorded.
        load_average: the 1-minute load average when the run ended, where recorded
            (a busy machine makes every time longer).

    Raises:
        ValueError: ``cores`` is not a whole number >= 1 or ``python`` is empty.

    Example::

        >>> m = Machine(cores=2, python="3.11.7", cpu="AMD EPYC", memory_gib=23.5,
        ...             versions={"keras": "3.15.1"}, date="2026-12-01T05:28:07+00:00")
        >>> m.describe()
        'Recorded 2026-12-01 on 2 cores of AMD EPYC (23.5 GiB), Python 3.11.7; keras 3.15.1.'
        >>> Machine.from_dict(m.to_dict()) == m
        True
    """

    cores: int
    python: str
    platform: str | None = None
    cpu: str | None = None
    memory_gib: float | None = None
    versions: dict[str, str] = dataclasses.field(default_factory=dict)
    date: str | None = None
    load_average: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.cores, bool) or not isinstance(self.cores, int) or self.cores < 1:
            raise ValueError(f"cores must be a whole number >= 1, got {self.cores!r}")
        if not isinstance(self.python, str) or not self.python:
            raise ValueError(f"python must be a version string such as '3.11.7', got {self.python!r}")

    @classmethod
    def here(cls, packages: tuple[str, ...] = PACKAGES) -> Machine:
        """This machine, now: what a benchmark records when it ends.

        Args:
            packages: the packages whose versions to record (those not installed are left out).

        Returns:
            The description, dated now.

        Example::

            >>> Machine.here().cores >= 1
            True
        """
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        versions = {name: v for name in packages if (v := _version(name))}
        return cls(cores=cores, python=sys.version.split()[0], platform=platform.platform(), cpu=_cpu_model(),
                   memory_gib=_memory_gib(), versions=versions,
                   date=datetime.now(timezone.utc).isoformat(timespec="seconds"), load_average=_load_average())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Machine:
        """Read a recording's ``"machine"`` entry.

        Args:
            data: the entry, as :meth:`to_dict` wrote it.

        Returns:
            The description.

        Raises:
            ValueError: an entry of another layout (a key this class does not know, or
                ``cores`` or ``python`` missing).

        Example::

            >>> Machine.from_dict({"cores": 2, "python": "3.11.7"}).cpu is None
            True
            >>> Machine.from_dict({"cpu_count": 2, "python": "3.11.7"})  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            ValueError: a machine description has cores, python, ...; this one also has cpu_count
        """
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = [key for key in data if key not in known]
        if unknown or "cores" not in data or "python" not in data:
            extra = f"; this one also has {', '.join(unknown)}" if unknown else "; this one lacks cores or python"
            raise ValueError(f"a machine description has {', '.join(known)}{extra}")
        return cls(**{**data, "versions": dict(data.get("versions") or {})})

    @classmethod
    def of(cls, recording: dict[str, Any]) -> Machine:
        """The machine of a recording (``recording["machine"]``).

        Args:
            recording: a recording, as :func:`~dltips.recordings.recorded` returns it.

        Returns:
            Its machine.

        Raises:
            ValueError: the recording has no machine description, or one of another layout.

        Example::

            >>> from dltips.recordings import recorded
            >>> Machine.of(recorded("latest")).memory_gib > 1
            True
        """
        if "machine" not in recording:
            raise ValueError(f"the recording has no 'machine' entry (it has {', '.join(recording)})")
        return cls.from_dict(recording["machine"])

    def to_dict(self) -> dict[str, Any]:
        """The description as JSON-ready data (every field, ``None`` where unknown)."""
        return dataclasses.asdict(self)

    def describe(self) -> str:
        """One line: when, on how many cores of what, and with which versions.

        Returns:
            The line; what the recording did not keep is left out.
        """
        where = f"{self.cores} cores" + (f" of {self.cpu}" if self.cpu else "")
        if self.memory_gib:
            where += f" ({self.memory_gib} GiB)"
        when = f"Recorded {self.date[:10]} on" if self.date else "Recorded on"
        versions = ", ".join(f"{k} {v}" for k, v in sorted(self.versions.items()) if v)
        return f"{when} {where}, Python {self.python}" + (f"; {versions}." if versions else ".")
