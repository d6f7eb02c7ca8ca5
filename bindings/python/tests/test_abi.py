"""The FFI layer agrees with the ABI that the loaded libzizq describes
(zizq_abi_description): every function declared, every function this
package calls described, every status's kind mapped to an exception class."""

import re
import unittest
from pathlib import Path

from .support import zizq

native = zizq._native
PACKAGE = Path(native.__file__).resolve().parent


def described_functions():
    return {f["name"]: f for f in native.DESCRIPTION["functions"]}


class AbiTest(unittest.TestCase):
    def test_every_described_function_is_declared(self):
        self.assertEqual(native.UNDECLARED, [], "C types this package cannot spell")
        for name, function in described_functions().items():
            declared = getattr(native.lib, name)
            self.assertEqual(len(declared.argtypes), len(function["args"]), name)

    def test_every_function_called_is_described(self):
        called = set()
        for source in PACKAGE.glob("*.py"):
            called |= set(re.findall(r"\blib\.(zizq_\w+)", source.read_text()))
        self.assertTrue(called, "the scan found the package's calls")
        missing = called - set(described_functions())
        self.assertEqual(missing, set(), "called but not in libzizq's ABI")

    def test_every_kind_of_failure_has_an_exception_class(self):
        kinds = {s["category"] for s in native.DESCRIPTION["statuses"]} - {"ok"}
        self.assertEqual(set(zizq.errors.CLASSES), kinds)
        failures = [s for s in native.DESCRIPTION["statuses"] if s["category"] != "ok"]
        for status in failures:
            self.assertEqual(native.status_name(status["value"]), status["name"])
            exc = zizq.errors.from_native(status["value"], None)
            self.assertEqual(exc.zizq_status, status["name"])
            self.assertIs(type(exc), zizq.errors.CLASSES[status["category"]])

    def test_structs_follow_the_description(self):
        for cls, name in ((native.Buf, "zizq_buf"), (native.JobStruct, "zizq_job"),
                          (native.Completion, "zizq_completion")):
            fields = [f["name"] for f in native.DESCRIPTION["structs"][name]]
            self.assertEqual([f[0] for f in cls._fields_], fields)
        self.assertEqual(native.STATUS_NAMES[native.E_CLOSED], "ZIZQ_E_CLOSED")
        self.assertEqual("ZIZQ_UNKNOWN", native.status_name(len(native.STATUS_NAMES)))


if __name__ == "__main__":
    unittest.main()
