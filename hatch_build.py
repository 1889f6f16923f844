"""Build hook: compiles kliping's C kernels (kliping/native/kernels.c) as the wheel is built,
`pip install -e .` included, into kliping/native/ beside their ctypes binding.

Without a C compiler, or if it fails, the package is built without them and kliping runs on
its NumPy code (same output, slower); the build says so. CC names another compiler.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = "kliping/native/kernels.c"
# as kliping/native/__init__.py names it: not as a Python extension module
LIBRARY = "kliping/native/libkliping_kernels" + (sysconfig.get_config_var("SHLIB_SUFFIX") or ".so") + ".1"


class NativeKernelsHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        library = Path(self.root, LIBRARY)
        if not compile_library(Path(self.root, SOURCE), library, self.app.display_warning):
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":  # an editable install loads it from the source tree
            build_data["force_include"][str(library)] = LIBRARY


def compile_library(source: Path, library: Path, warn: Any = print) -> bool:
    """Compile `source` into the shared library `library` (written under a temporary name and
    renamed into place); False, with a warning, when it cannot be."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        warn("kliping: no C compiler found; building without the compiled kernels (NumPy is used)")
        return False
    tmp = library.with_name(f".{library.name}.{os.getpid()}.tmp")
    cmd = [*cc.split(), "-O3", "-shared", "-fPIC", "-o", str(tmp), str(source)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as exc:
        warn(f"kliping: {cc} could not run ({exc}); building without the compiled kernels")
        return False
    if done.returncode != 0:
        tmp.unlink(missing_ok=True)
        warn(f"kliping: compiling {source.name} failed; built without the compiled kernels:\n{done.stderr}")
        return False
    os.replace(tmp, library)
    return True
