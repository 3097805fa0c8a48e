"""A fresh machine without unixODBC: the README's main job (`gen-measures demo` on DuckDB) must still work.

pyodbc's wheel needs the system's libodbc.so.2; where it is missing, `import pyodbc` raises ImportError. The
test machine has unixODBC, so a child process is started with an import hook that makes `import pyodbc` fail
exactly that way (nothing else is changed).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = '''
import sys
class _NoOdbc:
    def find_spec(self, name, path=None, target=None):
        if name == "pyodbc":
            raise ImportError("libodbc.so.2: cannot open shared object file: No such file or directory")
sys.meta_path.insert(0, _NoOdbc())
'''


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(BLOCK)
    env = {key: value for key, value in os.environ.items() if key not in ("MSP_CSAT_DB", "MSP_CSAT_SPECS")}
    env["PYTHONPATH"] = os.pathsep.join([str(hook), str(ROOT)])
    return subprocess.run([sys.executable, "-m", "generator.cli", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)


def test_demo_on_duckdb_needs_no_odbc_driver_manager(tmp_path: Path) -> None:
    result = _run(tmp_path, "demo", "--db", str(tmp_path / "demo.duckdb"))
    assert result.returncode == 0, result.stderr
    assert "3,024" in result.stdout


def test_an_odbc_target_without_the_driver_manager_is_one_clear_error(tmp_path: Path) -> None:
    result = _run(tmp_path, "demo", "--db", "odbc:Driver={PostgreSQL Unicode};Server=127.0.0.1")
    assert result.returncode == 2
    assert "error: ODBC targets need the ODBC driver manager" in result.stderr
    assert "apt-get install unixodbc" in result.stderr
    assert "Traceback" not in result.stderr
