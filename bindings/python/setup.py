"""Builds the zizq wheel with libzizq inside.

The wheel is a platform wheel: ``build_py`` compiles libzizq from the Rust
crate at the repository root with the Makefile's own command (``cargo build
--release --lib -p libzizq``), so an existing release build in the
workspace's target directory (or ``CARGO_TARGET_DIR``) is reused rather than
compiled again, and copies ``libzizq.so`` into the package. The package
version is the crate's (Cargo.toml is the one source). Only setuptools and a
Rust toolchain are needed; building from an sdist is not supported, since the
crate lives outside this directory.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

CRATE = "libzizq"
MANIFEST = Path(__file__).resolve().parent.parent.parent / "Cargo.toml"
CARGO = os.environ.get("CARGO", "cargo")


def cargo(*args: str) -> str:
    if not MANIFEST.is_file():
        raise SystemExit(
            f"zizq: the {CRATE} crate is not at {MANIFEST}; build the wheel from a "
            "libzizq checkout (pip install ./bindings/python, or pip wheel)"
        )
    command = [CARGO, *args, "--manifest-path", str(MANIFEST)]
    try:
        return subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    except FileNotFoundError:
        raise SystemExit(
            f"zizq: {CARGO!r} not found; building libzizq needs a Rust toolchain"
        ) from None
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"zizq: {' '.join(command)} failed (exit {exc.returncode})") from None


def crate_version() -> str:
    metadata = json.loads(cargo("metadata", "--no-deps", "--format-version", "1"))
    return next(p["version"] for p in metadata["packages"] if p["name"] == CRATE)


def build_library() -> Path:
    """Runs cargo and returns the path of the libzizq.so it built (or found fresh)."""
    messages = cargo(
        "build", "--release", "--lib", "-p", CRATE, "--message-format=json-render-diagnostics"
    )
    for line in messages.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and "cdylib" in message["target"]["kind"]:
            return Path(next(f for f in message["filenames"] if f.endswith(".so")))
    raise SystemExit("zizq: cargo reported no libzizq.so")


class BuildPyWithLibrary(build_py):
    def run(self) -> None:
        # pip builds in the source tree: start from an empty build/lib/zizq so
        # a module deleted from src/ does not linger in the next wheel.
        shutil.rmtree(Path(self.build_lib) / "zizq", ignore_errors=True)
        super().run()
        target = Path(self.build_lib) / "zizq" / "libzizq.so"
        shutil.copyfile(build_library(), target)
        # The release profile keeps debug info (for the workspace's own
        # debugging); the wheel ships the library without it (35 MB -> 6 MB),
        # keeping the symbol table for readable backtraces.
        subprocess.run([os.environ.get("STRIP", "strip"), "--strip-debug", str(target)], check=True)


class NativeDistribution(Distribution):
    """Holds a native library, so it installs to platlib and its wheel is not pure."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """ctypes loads the library, so the wheel fits any Python 3, on this platform only."""

    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    version=crate_version(),
    distclass=NativeDistribution,
    cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": PlatformWheel},
)
