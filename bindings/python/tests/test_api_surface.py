"""zizq.Client offers the seed's methods (snake_case, as in the seed)."""

import inspect
import os
import subprocess
import sys
import typing
import unittest

from .support import zizq

SEED_METHODS = {
    "add_cron_group_entry", "cleanup_internal_clients", "close", "count_jobs",
    "delete_all_crons", "delete_all_jobs", "delete_cron_group", "delete_cron_group_entry",
    "delete_job", "enqueue", "enqueue_bulk", "erase_all_data", "get_cron_group",
    "get_cron_group_entry", "get_error", "get_job", "get_path", "get_queues", "health",
    "list_cron_groups", "list_errors", "list_jobs", "replace_cron_group",
    "replace_cron_group_entry", "report_failure", "report_success", "report_success_bulk",
    "server_version", "take_jobs", "update_all_jobs", "update_cron_group",
    "update_cron_group_entry", "update_job", "parse_ndjson", "parse_msgpack_stream",
    # aliases
    "ack", "ack_bulk", "nack",
}

# Keywords of the seed's methods (``from`` is spelled ``from_``).
SEED_KEYWORDS = {
    "enqueue": {"queue", "type", "payload", "priority", "ready_at", "retry_limit", "backoff",
                "retention", "unique_key", "unique_while"},
    "list_jobs": {"id", "status", "queue", "type", "filter", "from_", "order", "limit"},
    "count_jobs": {"id", "status", "queue", "type", "filter"},
    "update_job": {"queue", "priority", "ready_at", "retry_limit", "backoff", "retention"},
    "update_all_jobs": {"where", "apply"},
    "delete_all_jobs": {"where"},
    "report_failure": {"message", "error_type", "backtrace", "retry_at", "kill"},
    "list_errors": {"from_", "order", "limit"},
    "get_error": {"attempt"},
    "take_jobs": {"prefetch", "queues", "worker_id", "on_connect", "on_response"},
    "replace_cron_group": {"paused", "entries"},
    "update_cron_group": {"paused"},
    "add_cron_group_entry": {"name", "expression", "job", "timezone", "paused"},
    "replace_cron_group_entry": {"expression", "job", "timezone", "paused"},
    "update_cron_group_entry": {"paused"},
    "enqueue_bulk": {"jobs"},
}


class ApiSurfaceTest(unittest.TestCase):
    def test_every_seed_method_exists(self):
        public = {name for name, _ in inspect.getmembers(zizq.Client, callable)
                  if not name.startswith("_")}
        self.assertEqual(set(), SEED_METHODS - public)

    def test_keywords_match_the_seed(self):
        for method, keywords in SEED_KEYWORDS.items():
            parameters = inspect.signature(getattr(zizq.Client, method)).parameters
            keyword_only = {name for name, p in parameters.items()
                            if p.kind is inspect.Parameter.KEYWORD_ONLY}
            self.assertEqual(keywords, keyword_only, method)

    def test_aliases(self):
        self.assertIs(zizq.Client.ack, zizq.Client.report_success)
        self.assertIs(zizq.Client.ack_bulk, zizq.Client.report_success_bulk)
        self.assertIs(zizq.Client.nack, zizq.Client.report_failure)

    def test_exception_hierarchy(self):
        self.assertTrue(issubclass(zizq.NotFoundError, zizq.ClientError))
        self.assertTrue(issubclass(zizq.ClientError, zizq.ResponseError))
        self.assertTrue(issubclass(zizq.ServerError, zizq.ResponseError))
        for kind in (zizq.ConnectionError, zizq.ResponseError, zizq.StreamError):
            self.assertTrue(issubclass(kind, zizq.Error))
        self.assertIsNot(zizq.ConnectionError, ConnectionError)

    def test_response_errors_pickle_with_status_and_body(self):
        import pickle

        error = zizq.NotFoundError("job not found", status=404, body={"error": "job not found"})
        copy = pickle.loads(pickle.dumps(error))
        self.assertEqual(("job not found", 404, {"error": "job not found"}),
                         (str(copy), copy.status, copy.body))
        self.assertIsInstance(copy, zizq.NotFoundError)

    def test_every_public_method_and_property_has_a_docstring(self):
        classes = [getattr(zizq, name) for name in zizq.__all__
                   if inspect.isclass(getattr(zizq, name))]
        undocumented = []
        for cls in classes:
            for name, member in vars(cls).items():
                if name.startswith("_") or not (inspect.isfunction(member)
                                                or isinstance(member, (property, staticmethod))):
                    continue
                if not inspect.getdoc(getattr(cls, name)):
                    undocumented.append(f"{cls.__name__}.{name}")
        self.assertEqual([], undocumented)
        functions = [getattr(zizq, name) for name in zizq.__all__
                     if inspect.isfunction(getattr(zizq, name))]
        self.assertEqual([], [f.__name__ for f in functions if not inspect.getdoc(f)])

    def test_the_package_is_typed(self):
        package = os.path.dirname(zizq.__file__)
        self.assertTrue(os.path.isfile(os.path.join(package, "py.typed")))
        hints = typing.get_type_hints(zizq.Client.take_jobs)
        self.assertEqual({"callback", "prefetch", "queues", "worker_id", "on_connect",
                          "on_response", "return"}, set(hints))

    def test_async_client_signatures_are_current(self):
        # aio.py declares Client's request methods as coroutines for type
        # checkers; tools/async_signatures.py writes that block.
        tool = os.path.join(os.path.dirname(__file__), "..", "tools", "async_signatures.py")
        check = subprocess.run([sys.executable, tool, "--check"], capture_output=True, text=True)
        self.assertEqual(0, check.returncode, check.stderr)
