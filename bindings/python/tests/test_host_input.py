"""Mistakes of the calling program: wrong types for ids, names and numbers
are refused with TypeError / ValueError before any request is made, and the
errors libzizq raises keep every attribute through pickling."""

import pickle

from .support import for_each_format, zizq

JOB = {"type": "t", "queue": "q", "payload": 1}

# A value in place of an id or a name, and what it must raise.
WRONG_NAMES = [
    (None, TypeError),
    (123, TypeError),
    (1.5, TypeError),
    (True, TypeError),
    (["an-id"], TypeError),
    ("", ValueError),  # refused by libzizq: it would address /jobs/
    ("id\0tail", ValueError),  # a C string would end at the NUL
    (b"id\0tail", ValueError),
    (b"\xff\xfe", ValueError),  # not UTF-8: refused by libzizq
    ("\ud800", ValueError),  # a lone surrogate has no UTF-8 form
]


def calls_with_name(c, value):
    """Every method taking a job id, a cron group or entry name, or a path,
    called with ``value`` in that place."""
    return {
        "get_job": lambda: c.get_job(value),
        "update_job": lambda: c.update_job(value, priority=1),
        "delete_job": lambda: c.delete_job(value),
        "report_success": lambda: c.report_success(value),
        "report_failure": lambda: c.report_failure(value, message="m"),
        "list_errors": lambda: c.list_errors(value),
        "get_error": lambda: c.get_error(value, attempt=1),
        "get_path": lambda: c.get_path(value),
        "get_cron_group": lambda: c.get_cron_group(value),
        "replace_cron_group": lambda: c.replace_cron_group(value),
        "update_cron_group": lambda: c.update_cron_group(value, paused=True),
        "delete_cron_group": lambda: c.delete_cron_group(value),
        "add_cron_group_entry": lambda: c.add_cron_group_entry(
            value, name="e", expression="* * * * *", job=JOB),
        "get_cron_group_entry (group)": lambda: c.get_cron_group_entry(value, "e"),
        "get_cron_group_entry (entry)": lambda: c.get_cron_group_entry("g", value),
        "replace_cron_group_entry (group)": lambda: c.replace_cron_group_entry(
            value, "e", expression="* * * * *", job=JOB),
        "replace_cron_group_entry (entry)": lambda: c.replace_cron_group_entry(
            "g", value, expression="* * * * *", job=JOB),
        "update_cron_group_entry (group)": lambda: c.update_cron_group_entry(
            value, "e", paused=True),
        "update_cron_group_entry (entry)": lambda: c.update_cron_group_entry(
            "g", value, paused=True),
        "delete_cron_group_entry (group)": lambda: c.delete_cron_group_entry(value, "e"),
        "delete_cron_group_entry (entry)": lambda: c.delete_cron_group_entry("g", value),
    }


def pickled(error):
    return pickle.loads(pickle.dumps(error))


@for_each_format(globals())
class HostInputTests:
    def assert_refused_without_request(self, expected, call, label):
        before = self.server.requests() if self.server.own else None
        with self.assertRaises(expected, msg=label):
            call()
        if before is not None:
            self.assertEqual(before, self.server.requests(), f"{label} made a request")

    def test_wrong_ids_and_names_are_refused_before_any_request(self):
        for value, expected in WRONG_NAMES:
            for name, call in calls_with_name(self.client, value).items():
                self.assert_refused_without_request(expected, call, f"{name}({value!r})")
        # "None" is an id like any other: only the None object is refused.
        with self.assertRaises(zizq.NotFoundError):
            self.client.get_job("None")

    def test_wrong_attempt_numbers_are_refused(self):
        for value, expected in [(None, TypeError), ("1", TypeError), (1.0, TypeError),
                                (True, TypeError), (-1, ValueError), (2**32, ValueError)]:
            self.assert_refused_without_request(
                expected, lambda: self.client.get_error("an-id", attempt=value),
                f"attempt={value!r}")

    def test_wrong_bulk_ids_are_refused(self):
        for ids in ("an-id", None):
            self.assert_refused_without_request(
                TypeError, lambda: self.client.report_success_bulk(ids),
                f"report_success_bulk({ids!r})")
        for ids in ([None], [123], ["a", ""], [b"\xff"]):
            self.assert_refused_without_request(
                (TypeError, ValueError), lambda: self.client.report_success_bulk(ids),
                f"report_success_bulk({ids!r})")

    def test_wrong_urls_are_refused(self):
        for value, expected in [(None, TypeError), (8080, TypeError), ("", ValueError),
                                ("http://h\0:1", ValueError)]:
            with self.assertRaises(expected, msg=repr(value)):
                zizq.Client(value, format=self.FORMAT)

    def test_wrong_timeouts_are_refused(self):
        for options in ({"read_timeout": "5"}, {"stream_idle_timeout": None},
                        {"read_timeout": True}):
            with self.assertRaises(TypeError, msg=repr(options)):
                zizq.Client(self.server.url, format=self.FORMAT, **options)

    def test_the_url_is_the_normalised_one_of_libzizq(self):
        client = self.new_client(url=self.server.url + "/")
        self.assertEqual(self.server.url, client.url)

    def test_errors_keep_every_attribute_through_pickling(self):
        errors = []
        with self.assertRaises(zizq.NotFoundError) as caught:
            self.client.get_job("0000000000000000000000000")
        errors.append(caught.exception)
        with self.assertRaises(ValueError) as caught:  # refused by libzizq
            self.client.enqueue(queue=None, type="t", payload=1)
        errors.append(caught.exception)
        dead = self.new_client(url="http://127.0.0.1:1", options={"connect_timeout_ms": 2000})
        with self.assertRaises(zizq.ConnectionError) as caught:
            dead.health()
        errors.append(caught.exception)
        if self.server.own:
            self.server.faults(fail_requests={"status": 503, "count": 1, "path": "/health"})
            with self.assertRaises(zizq.ServerError) as caught:
                self.client.health()
            errors.append(caught.exception)
        for error in errors:
            copy = pickled(error)
            self.assertIs(type(error), type(copy))
            self.assertEqual(str(error), str(copy))
            self.assertEqual(vars(error), vars(copy))
            self.assertIsNotNone(copy.zizq_status)
        not_found = pickled(errors[0])
        self.assertEqual(("ZIZQ_E_NOT_FOUND", 404, {"error": "job not found"}, False),
                         (not_found.zizq_status, not_found.status, not_found.body,
                          not_found.retryable))
        self.assertEqual("ZIZQ_E_INVALID_ARG", pickled(errors[1]).zizq_status)
        self.assertEqual(("ZIZQ_E_CONNECTION", True),
                         (pickled(errors[2]).zizq_status, pickled(errors[2]).retryable))

    def test_every_zizq_error_class_pickles_its_attributes(self):
        for klass in (zizq.Error, zizq.ConnectionError, zizq.StreamError, zizq.ResponseError,
                      zizq.ClientError, zizq.NotFoundError, zizq.ServerError):
            error = klass("boom", status=503) if issubclass(klass, zizq.ResponseError) \
                else klass("boom")
            error.zizq_status = "ZIZQ_E_SERVER"
            error.retryable = True
            copy = pickled(error)
            self.assertIs(klass, type(copy))
            self.assertEqual(("boom", "ZIZQ_E_SERVER", True),
                             (str(copy), copy.zizq_status, copy.retryable))
            if issubclass(klass, zizq.ResponseError):
                self.assertEqual((503, None), (copy.status, copy.body))
