"""The kernel notebooks run in: the current interpreter's ``python3`` kernel, found on a fresh install.

The kernel is the one ipykernel ships (jupyter_client finds it even when no kernelspec was ever installed)
or an installed spec whose command is ``python``/``python3`` (jupyter_client runs those with the current
interpreter). A ``python3`` spec installed elsewhere that points at another interpreter (which may lack
isoaudit) is bypassed with a private spec for this interpreter.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

KERNEL_NAME = "python3"


def kernel_for_this_interpreter(kernel_name: str = KERNEL_NAME) -> bool:
    """Whether ``kernel_name`` resolves to a kernel running this very interpreter."""
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        return False
    command = spec.argv[0] if spec.argv else ""
    # jupyter_client replaces these with sys.executable when it launches the kernel.
    if command in {"python", f"python{sys.version_info[0]}", "python%i.%i" % sys.version_info[:2]}:
        return True
    try:
        return Path(command).resolve() == Path(sys.executable).resolve()
    except OSError:
        return False


@contextmanager
def kernel_available(kernel_name: str = KERNEL_NAME) -> Iterator[str]:
    """Yield a kernel name that runs this interpreter: ``kernel_name`` itself, or a private spec put first
    on JUPYTER_PATH for the duration of the run."""
    if kernel_for_this_interpreter(kernel_name):
        yield kernel_name
        return
    with tempfile.TemporaryDirectory(prefix="isoaudit-kernel-") as folder:
        spec_dir = Path(folder, "kernels", kernel_name)
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (isoaudit)",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        previous = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [folder, previous]))
        try:
            yield kernel_name
        finally:
            if previous is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = previous
