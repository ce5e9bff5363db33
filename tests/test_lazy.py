"""dltips._lazy: a package's name is loaded from the one submodule that lists it, whatever their order."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _package(root) -> None:
    pkg = root / "lazypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent("""
        from dltips._lazy import attach
        __getattr__, __dir__ = attach(__name__, ("heavy", "light"))
    """))
    # "heavy" stands for a module that starts TensorFlow: importing it is an error here.
    (pkg / "heavy.py").write_text('__all__ = ["big"]\nraise ImportError("heavy was imported")\n')
    (pkg / "light.py").write_text('__all__ = ["small"]\nsmall = 1\n')
    # A computed __all__ cannot be read from the source: for it the loader imports submodules in order.
    (pkg / "computed.py").write_text('names = ["late"]\n__all__ = list(names)\nlate = 2\n')


def test_a_name_is_loaded_without_importing_the_submodules_listed_before_it(tmp_path):
    _package(tmp_path)
    code = textwrap.dedent("""
        import sys, lazypkg
        assert lazypkg.small == 1
        assert "lazypkg.heavy" not in sys.modules and "lazypkg.light" in sys.modules
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr


def test_static_all_reads_a_literal_all_and_gives_up_on_a_computed_one(tmp_path, monkeypatch):
    from dltips import _lazy

    _package(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _lazy._static_all("lazypkg.light") == ("small",)
    assert _lazy._static_all("lazypkg.heavy") == ("big",)
    assert _lazy._static_all("lazypkg.computed") is None
    for name in [m for m in sys.modules if m.startswith("lazypkg")]:
        monkeypatch.delitem(sys.modules, name)
