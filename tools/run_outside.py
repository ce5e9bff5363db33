"""Run the notebooks as a reader does: in a fresh environment holding only the wheel, outside the repository.

    python tools/run_outside.py pytest --nbval-lax --nbval-current-env -p no:cacheprovider chapters/

runs ``python -m pytest --nbval-lax ...`` (``make test-notebooks``) on copies of the notebooks:

1. builds the sdist and the wheel of this checkout (``python -m build --no-isolation``: offline,
   with this environment's setuptools), unless ``--wheel`` names one;
2. takes the wheel's declared dependencies, and what executes notebooks as tests (pytest, nbval,
   ipykernel), from an environment cached under ``DLTIPS_ENV_CACHE`` (default
   ``~/.cache/dltips/envs``) and keyed by them: pip creates it the first time a set of
   dependencies is seen (a few minutes; pip's own download cache is reused), later runs take it
   as it is;
3. creates a fresh virtual environment in a ``dltips-`` temporary folder, makes the cached
   dependencies importable in it (a ``.pth`` file), installs the wheel without dependencies
   from the file, and checks that ``import dltips`` finds that copy and nothing of the checkout;
4. copies each notebook named by the trailing arguments into an empty folder of its own in the
   temporary folder (outside the repository), and runs ``python -m MODULE ARGS`` there, the
   notebooks replaced by their folder, with ``PYTHONPATH`` and the user's site-packages cleared;
5. removes the temporary folder and exits with the command's status.

With no notebook among the trailing arguments it builds nothing and exits with status 5,
pytest's "no tests ran", as a pytest step that collects nothing does.

    python tools/run_outside.py --kernel jupyter-book build . -W -n

(``make book``) sets up the same fresh environment (steps 1 to 3), then runs the command as it
is, here in the checkout, with that environment's kernel as the Jupyter kernel ``python3``: a
kernel spec in a ``dltips-`` temporary folder first on ``JUPYTER_PATH`` (checked to be the one
Jupyter finds), whose process has ``PYTHONPATH`` and the user's site-packages cleared. The book
build executes every notebook in that kernel, in a temporary folder of its own
(``execute.run_in_temp``), so the one execution of the book is also its test: a cell that fails,
or a notebook that reads a file of the checkout or imports something the wheel does not carry,
fails the build.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
#: What executes notebooks as tests, beside the wheel's own dependencies.
RUNNERS = ("pytest>=8", "nbval>=0.11", "ipykernel>=6.29")
NO_TESTS_COLLECTED = 5  # pytest's exit status when it collects nothing (make reports "Error 5")
READY = "dltips-ready.json"
KERNEL_NAME = "python3"  # the kernel every chapter notebook names
# Variables that would put something other than the fresh environment on the interpreter's path.
PATH_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "PYTHONEXECUTABLE", "VIRTUAL_ENV",
                  "CONDA_PREFIX", "__PYVENV_LAUNCHER__")


def _say(message: str) -> None:
    print(f"run_outside: {message}", file=sys.stderr, flush=True)


def _run(command: Sequence[str], **kwargs) -> subprocess.CompletedProcess[str]:
    """Run a set-up command quietly; on failure, show its output and stop."""
    done = subprocess.run(list(command), capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"run_outside: `{' '.join(map(str, command))}` failed with status {done.returncode}")
    return done


def build_wheel(outdir: Path) -> Path:
    """Build the sdist and, from it, the wheel of this checkout into ``outdir``; the wheel's path."""
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir), str(ROOT)])
    wheels = sorted(outdir.glob("dltips-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"run_outside: expected one wheel in {outdir}, found {[w.name for w in wheels]}")
    return wheels[0]


def declared_dependencies(wheel: Path) -> list[str]:
    """The wheel's ``Requires-Dist`` entries outside its extras: what ``pip install <wheel>`` installs."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = HeaderParser().parsestr(archive.read(name).decode("utf-8"))
    requirements = [Requirement(r) for r in metadata.get_all("Requires-Dist") or []]
    return sorted(str(r) for r in requirements if r.marker is None or "extra" not in str(r.marker))


def env_cache() -> Path:
    """Where the environments of dependencies are kept (``DLTIPS_ENV_CACHE``, else the user's cache folder)."""
    if os.environ.get("DLTIPS_ENV_CACHE"):
        return Path(os.environ["DLTIPS_ENV_CACHE"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dltips" / "envs"


def environment_key(requirements: Sequence[str]) -> str:
    """A name for the environment of ``requirements`` (with :data:`RUNNERS`) on this Python."""
    described = {"python": list(sys.version_info[:3]), "implementation": sys.implementation.name,
                 "requires": sorted(requirements), "runners": list(RUNNERS)}
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def _python(env: Path) -> Path:
    return env / "bin" / "python"


def _site_packages(env: Path) -> list[Path]:
    code = "import sysconfig, json; p = sysconfig.get_paths(); print(json.dumps(sorted({p['purelib'], p['platlib']})))"
    return [Path(p) for p in json.loads(_run([str(_python(env)), "-c", code], env=clean_environ(env)).stdout)]


def dependencies_env(requirements: Sequence[str]) -> Path:
    """The cached environment holding ``requirements`` and :data:`RUNNERS`, created with pip the first time.

    Concurrent runs wait for one another (a lock file); an environment whose creation was
    interrupted is created again.
    """
    cache = env_cache()
    key = environment_key(requirements)
    env = cache / f"dltips-deps-{key}"
    if (env / READY).is_file():
        _say(f"dependencies: the cached environment {env.name}")
        return env
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"dltips-deps-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (env / READY).is_file():
            return env
        shutil.rmtree(env, ignore_errors=True)
        _say(f"dependencies: creating {env} with pip (once per set of dependencies; a few minutes)")
        start = time.perf_counter()
        _run([sys.executable, "-m", "venv", str(env)])
        pip = [str(_python(env)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run([*pip, "--upgrade", "pip"], env=clean_environ(env))
        _run([*pip, *requirements, *RUNNERS], env=clean_environ(env))
        (env / READY).write_text(json.dumps({"requires": list(requirements), "runners": list(RUNNERS)}, indent=1) + "\n")
        _say(f"dependencies: created in {time.perf_counter() - start:.0f} s")
    return env


def fresh_env(folder: Path, dependencies: Path) -> Path:
    """A new virtual environment in ``folder`` without ``dltips``, the cached ``dependencies`` importable in it."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(folder)])
    lines = "".join(f"import site; site.addsitedir({str(p)!r})\n" for p in _site_packages(dependencies))
    for site_packages in _site_packages(folder):
        (site_packages / "dltips-dependencies.pth").write_text(lines, encoding="utf-8")
    return folder


def install_wheel(env: Path, wheel: Path) -> str:
    """Install ``wheel`` into ``env`` from the file alone; the path ``import dltips`` then finds (checked)."""
    _run([str(_python(env)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
          "--no-index", str(wheel)], env=clean_environ(env))
    found = _run([str(_python(env)), "-c", "import dltips; print(dltips.__file__)"], env=clean_environ(env),
                 cwd=env).stdout.strip()
    if not Path(found).is_relative_to(env) or Path(found).is_relative_to(ROOT):
        raise SystemExit(f"run_outside: `import dltips` found {found}, not the wheel installed in {env}")
    return found


def clean_environ(env: Path) -> dict[str, str]:
    """This process's environment for a command in ``env``: nothing on the path but ``env`` itself."""
    environ = {k: v for k, v in os.environ.items() if k not in PATH_VARIABLES}
    environ.update(PYTHONNOUSERSITE="1", VIRTUAL_ENV=str(env), PATH=f"{env / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    return environ


def notebooks_in(paths: Sequence[Path]) -> list[Path]:
    """The notebooks that ``paths`` name, folders searched recursively (checkpoints left out)."""
    found = []
    for path in paths:
        candidates = [path] if path.is_file() else sorted(path.rglob("*.ipynb"))
        found += [p for p in candidates if p.suffix == ".ipynb" and ".ipynb_checkpoints" not in p.parts]
    return found


def copy_notebooks(notebooks: Sequence[Path], folder: Path) -> Path:
    """Copy each notebook into an empty folder of its own under ``folder / "notebooks"``; that folder."""
    target = folder / "notebooks"
    for notebook in notebooks:
        name = notebook.stem
        while (target / name).exists():  # two notebooks of the same name in different folders
            name += "_"
        (target / name).mkdir(parents=True)
        shutil.copy2(notebook, target / name / notebook.name)
    return target


@contextlib.contextmanager
def temporary_folder() -> Iterator[Path]:
    """A ``dltips-`` folder outside the repository, removed afterwards (also on an error or Ctrl-C)."""
    folder = Path(tempfile.mkdtemp(prefix="dltips-outside-")).resolve()
    try:
        if folder.is_relative_to(ROOT.resolve()):
            raise SystemExit(f"run_outside: the temporary folder {folder} is inside the repository; set TMPDIR elsewhere")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_kernel(folder: Path, env: Path) -> Path:
    """A Jupyter kernel spec ``python3`` running ``env``'s Python under ``folder/kernels``; the folder for ``JUPYTER_PATH``."""
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    kernel = {
        "argv": [str(_python(env)), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (dltips from the wheel alone)",
        "language": "python",
        "env": {"PYTHONPATH": "", "PYTHONNOUSERSITE": "1", "VIRTUAL_ENV": str(env)},
    }
    (spec / "kernel.json").write_text(json.dumps(kernel, indent=1) + "\n", encoding="utf-8")
    return folder


def kernel_environ(jupyter_path: Path) -> dict[str, str]:
    """This process's environment with ``jupyter_path`` first on ``JUPYTER_PATH``."""
    paths = [str(jupyter_path), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    return {**os.environ, "JUPYTER_PATH": os.pathsep.join(paths)}


def found_kernel(environ: dict[str, str]) -> str:
    """The Python that Jupyter starts for the kernel ``python3`` under ``environ`` (asked in a child process)."""
    code = ("from jupyter_client.kernelspec import KernelSpecManager; "
            f"print(KernelSpecManager().get_kernel_spec({KERNEL_NAME!r}).argv[0])")
    return _run([sys.executable, "-c", code], env=environ).stdout.strip()


def split_arguments(arguments: Sequence[str]) -> tuple[list[str], list[Path]]:
    """``MODULE ARGS... PATHS...``: the command, and the trailing arguments that name existing files or folders."""
    arguments = list(arguments)
    paths: list[Path] = []
    while len(arguments) > 1 and Path(arguments[-1]).exists():
        paths.insert(0, Path(arguments.pop()))
    return arguments, paths


def prepared_env(folder: Path, wheel: Path | None) -> Path:
    """Steps 1 to 3: the fresh environment in ``folder / "env"`` with only the wheel (built unless given)."""
    start, given = time.perf_counter(), wheel is not None
    wheel = wheel.resolve() if wheel else build_wheel(folder / "dist")
    _say(f"wheel: {wheel.name}, {wheel.stat().st_size / 1024:.0f} KiB"
         + ("" if given else f", built in {time.perf_counter() - start:.0f} s"))
    dependencies = dependencies_env(declared_dependencies(wheel))
    step = time.perf_counter()
    env = fresh_env(folder / "env", dependencies)
    found = install_wheel(env, wheel)
    _say(f"fresh environment: dltips from {Path(found).parent.relative_to(folder)} "
         f"({time.perf_counter() - step:.0f} s); set-up took {time.perf_counter() - start:.0f} s")
    return env


def run_with_kernel(command: Sequence[str], wheel: Path | None = None) -> int:
    """Run ``command`` with the fresh environment as the Jupyter kernel ``python3``; its exit status."""
    with temporary_folder() as folder:
        env = prepared_env(folder, wheel)
        environ = kernel_environ(write_kernel(folder / "jupyter", env))
        found = found_kernel(environ)
        if Path(found) != _python(env):
            raise SystemExit(f"run_outside: Jupyter would start the kernel {KERNEL_NAME} from {found}, not {_python(env)}")
        _say(f"running `{' '.join(command)}` with the kernel {KERNEL_NAME} of the fresh environment")
        step = time.perf_counter()
        done = subprocess.run(list(command), env=environ)
        _say(f"`{Path(command[0]).name}` exited with status {done.returncode} after {time.perf_counter() - step:.0f} s")
        return done.returncode


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m MODULE ARGS`` on copies of the notebooks, in a fresh environment with only the wheel."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     usage="%(prog)s [--wheel FILE] MODULE [ARGS...] NOTEBOOKS_OR_FOLDERS...")
    parser.add_argument("--wheel", type=Path, help="a wheel of dltips to install (default: build one from this checkout)")
    parser.add_argument("--kernel", action="store_true",
                        help="run COMMAND as it is, with the fresh environment as the Jupyter kernel python3")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the module to run with `python -m`, its arguments, the notebooks")
    args = parser.parse_args(argv)
    if args.kernel:
        if not args.command:
            parser.error("name a command to run with the kernel, for example: jupyter-book build . -W -n")
        return run_with_kernel(args.command, args.wheel)
    command, paths = split_arguments(args.command)
    if not command:
        parser.error("name a module to run, for example: pytest --nbval-lax --nbval-current-env chapters/")
    notebooks = notebooks_in(paths)
    if not notebooks:
        print(f"no tests ran: no notebook in {' '.join(map(str, paths)) or 'the arguments'}")
        return NO_TESTS_COLLECTED

    with temporary_folder() as folder:
        env = prepared_env(folder, args.wheel)
        where = copy_notebooks(notebooks, folder)
        _say(f"running `python -m {' '.join(command)}` on {len(notebooks)} notebooks copied to {where}")
        step = time.perf_counter()
        done = subprocess.run([str(_python(env)), "-m", *command, "."], cwd=where, env=clean_environ(env))
        _say(f"`python -m {command[0]}` exited with status {done.returncode} after {time.perf_counter() - step:.0f} s")
        return done.returncode


if __name__ == "__main__":
    sys.exit(main())
