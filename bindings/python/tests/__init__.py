"""Test suite of the zizq Python package (``python3 -m unittest`` from
bindings/python). The package is imported from ../src."""

import os
import sys

PYTHON_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(os.path.dirname(PYTHON_ROOT))
SRC = os.path.join(PYTHON_ROOT, "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)

if not os.environ.get("ZIZQ_LIB"):
    _default = os.path.join(REPO_ROOT, "target", "release", "libzizq.so")
    if os.path.isfile(_default):
        os.environ["ZIZQ_LIB"] = _default
