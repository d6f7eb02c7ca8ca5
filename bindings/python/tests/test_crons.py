"""The cron API (a Pro feature: a free server answers 403)."""

from .support import for_each_format, zizq

JOB = {"type": "report", "queue": "crons", "payload": {"kind": "daily"}, "priority": 10,
       "backoff": {"exponent": 2, "base": 1, "jitter": 0}}


@for_each_format(globals())
class CronTests:
    def test_cron_groups_and_entries(self):
        c = self.client
        if not self.pro:
            self.assert_forbidden(c.list_cron_groups)
            return
        self.assertEqual([], c.list_cron_groups())
        group = c.replace_cron_group("nightly", entries=[
            {"name": "a", "expression": "0 3 * * *", "job": JOB, "timezone": "UTC"},
            {"name": "b", "expression": "*/5 * * * *", "job": JOB, "paused": True},
        ])
        self.assertIsInstance(group, zizq.CronGroup)
        self.assertEqual(["nightly", False], [group.name, group.paused])
        self.assertEqual(["a", "b"], [entry.name for entry in group.entries])
        entry = group.entries[0]
        self.assertEqual(["0 3 * * *", "UTC", False], [entry.expression, entry.timezone,
                                                       entry.paused])
        self.assertIsInstance(entry.next_enqueue_at, float)
        self.assertIsNone(entry.last_enqueue_at)
        self.assertEqual(["report", "crons", 10, {"kind": "daily"}],
                         [entry.job.type, entry.job.queue, entry.job.priority, entry.job.payload])
        self.assertEqual({"exponent": 2.0, "base": 1.0, "jitter": 0.0}, entry.job.backoff)
        self.assertTrue(group.entries[1].paused)
        self.assertEqual(["nightly"], c.list_cron_groups())

        paused = c.update_cron_group("nightly", paused=True)
        self.assertTrue(paused.paused)
        self.assertIsInstance(paused.paused_at, float)
        self.assertTrue(c.get_cron_group("nightly").paused)

        added = c.add_cron_group_entry("nightly", name="c", expression="0 0 1 * *", job=JOB)
        self.assertEqual("c", added.name)
        with self.assertRaises(zizq.ClientError) as caught:
            c.add_cron_group_entry("nightly", name="c", expression="0 0 1 * *", job=JOB)
        self.assertEqual(409, caught.exception.status)

        replaced = c.replace_cron_group_entry("nightly", "c", expression="0 0 2 * *", job=JOB,
                                              paused=True)
        self.assertEqual(["c", "0 0 2 * *", True],
                         [replaced.name, replaced.expression, replaced.paused])
        self.assertEqual("0 0 2 * *", c.get_cron_group_entry("nightly", "c").expression)
        resumed = c.update_cron_group_entry("nightly", "c", paused=False)
        self.assertFalse(resumed.paused)
        self.assertIsInstance(resumed.resumed_at, float)

        self.assertIsNone(c.delete_cron_group_entry("nightly", "c"))
        with self.assertRaises(zizq.NotFoundError):
            c.get_cron_group_entry("nightly", "c")
        self.assertIsNone(c.delete_cron_group("nightly"))
        with self.assertRaises(zizq.NotFoundError):
            c.get_cron_group("nightly")

        c.add_cron_group_entry("g 1/x", name="e", expression="@daily", job=JOB)
        c.add_cron_group_entry("g2", name="e", expression="@hourly", job=JOB)
        self.assertEqual(["g 1/x", "g2"], sorted(c.list_cron_groups()))
        self.assertEqual(2, c.delete_all_crons())
        self.assertEqual([], c.list_cron_groups())

    def test_cron_entry_arguments_are_checked(self):
        with self.assertRaises(ValueError):
            self.client.replace_cron_group("g", entries=[
                {"name": "a", "expression": "@daily", "job": JOB, "colour": 1}])
        with self.assertRaises(ValueError):
            self.client.add_cron_group_entry("g", name="a", expression="@daily",
                                             job={"type": "t", "queue": "q"})

    def test_free_tier_answers_forbidden(self):
        self.require_own_server()
        self.server.set_tier("free")
        try:
            self.assert_forbidden(self.client.list_cron_groups)
            self.assert_forbidden(lambda: self.client.replace_cron_group("g", entries=[]))
            self.assert_forbidden(self.client.delete_all_crons)
            self.assert_forbidden(lambda: self.enqueue_job(unique_key="k"))
        finally:
            self.server.set_tier("pro")
