"""The project's own packages never shadow the standard library."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_standard_platform_module_is_reachable_from_the_project_root():
    result = subprocess.run(
        [sys.executable, "-c", "import platform; print(platform.python_version())"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    assert result.stdout.strip() == ".".join(map(str, sys.version_info[:3]))
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_project_packages_import_by_their_own_names():
    result = subprocess.run(
        [sys.executable, "-c", "import config, accounts, tenancy, audit, api, shared_catalogue, tenants.workspace"],
        cwd="/", capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
