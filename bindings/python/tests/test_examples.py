"""examples/quickstart.py runs as written against the suite's server."""

import os
import subprocess
import sys

from . import PYTHON_ROOT, SRC
from .support import ZizqTestCase


class QuickstartTest(ZizqTestCase):
    def test_quickstart_runs(self):
        script = os.path.join(PYTHON_ROOT, "examples", "quickstart.py")
        env = dict(os.environ, ZIZQ_URL=self.server.url, PYTHONPATH=SRC)
        result = subprocess.run([sys.executable, script], env=env, capture_output=True,
                                text=True, timeout=30)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertRegex(result.stdout, r"enqueued \w+ \(ready\)")
        self.assertRegex(result.stdout, r"took \w+: send_email \{'to': 'ada@example.com'\}")
        self.assertIn("jobs left in emails: 0", result.stdout)
        self.assertIn("worker: 9 acked, 1 nacked", result.stdout)
