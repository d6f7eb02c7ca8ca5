package zizq

import (
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestLibraryAndStatuses(t *testing.T) {
	// The library this suite loads is the one built with the header it
	// was compiled against (make check-versions runs this test).
	if !strings.HasPrefix(LibraryVersion(), "libzizq/"+HeaderVersion+" ") {
		t.Fatalf("library %q, header %q", LibraryVersion(), HeaderVersion)
	}
	if StatusNotFound.String() != "ZIZQ_E_NOT_FOUND" || Status(999).String() != "ZIZQ_UNKNOWN" {
		t.Fatal(StatusNotFound.String(), Status(999).String())
	}
	if _, err := NewClient("not a url"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad url: %v", err)
	}
	c := must(NewClient(server.url + "/"))(t)
	defer c.Close()
	if c.Format() != MessagePack || c.URL() != server.url {
		t.Fatal(c.Format(), c.URL())
	}
}

func TestServerMethods(t *testing.T) {
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		h := must(c.Health(ctx))(t)
		if h["status"] != "ok" {
			t.Fatalf("health %v", h)
		}
		if v := must(c.ServerVersion(ctx))(t); v == "" {
			t.Fatal("empty version")
		}
		if q := must(c.GetQueues(ctx))(t); len(q) != 0 {
			t.Fatalf("queues %v", q)
		}
		enqueue(t, c, "b", nil)
		enqueue(t, c, "a", nil)
		if q := must(c.GetQueues(ctx))(t); !reflect.DeepEqual(q, []string{"a", "b"}) {
			t.Fatalf("queues %v", q)
		}
		ok(t, c.EraseAllData(ctx))
		if n := count(t, c, JobFilter{}); n != 0 {
			t.Fatalf("count after erase %d", n)
		}
		status, body, err := c.Request(ctx, "GET", "/health", nil)
		ok(t, err)
		js := must(Transcode(c.Format(), JSON, body))(t)
		if status != 200 || !strings.Contains(string(js), `"ok"`) {
			t.Fatalf("request: %d %s", status, js)
		}
	})
}

func TestEnqueueGetDelete(t *testing.T) {
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		later := time.Now().Add(time.Hour).Truncate(time.Millisecond)
		job := must(c.Enqueue(ctx, EnqueueRequest{
			Type: "send_email", Queue: "emails", Payload: map[string]any{"to": "ada@example.com", "n": 3},
			Priority: Ptr[uint16](0), ReadyAt: MillisOf(later), RetryLimit: Ptr[uint32](4),
			Backoff:   &Backoff{Exponent: 2, BaseMs: 1000, JitterMs: 500},
			Retention: &Retention{CompletedMs: Ptr[int64](0), DeadMs: Ptr[int64](60000)},
		}))(t)
		if len(job.ID) != 25 || job.Status != JobScheduled || job.Priority != 0 || job.Duplicate ||
			!job.ReadyAt.Time().Equal(later) || job.Payload != nil {
			t.Fatalf("enqueued %+v", job)
		}
		got := must(c.GetJob(ctx, job.ID))(t)
		var payload struct {
			To string `json:"to"`
			N  int    `json:"n"`
		}
		ok(t, got.DecodePayload(&payload))
		if payload.To != "ada@example.com" || payload.N != 3 || got.Type != "send_email" || got.Queue != "emails" {
			t.Fatalf("got %+v %s", got, got.Payload)
		}
		if *got.RetryLimit != 4 || *got.Backoff != (Backoff{2, 1000, 500}) ||
			*got.Retention.CompletedMs != 0 || *got.Retention.DeadMs != 60000 {
			t.Fatalf("options %+v %+v %+v", got.RetryLimit, got.Backoff, got.Retention)
		}
		// A nil payload is sent as null.
		nullJob := enqueue(t, c, "emails", nil)
		if p := must(c.GetJob(ctx, nullJob.ID))(t).Payload; string(p) != "null" && p != nil {
			t.Fatalf("null payload: %s", p)
		}

		jobs := must(c.EnqueueBulk(ctx, []EnqueueRequest{
			{Type: "a", Queue: "bulk", Payload: 1},
			{Type: "b", Queue: "bulk", Payload: []int{1, 2}, Priority: Ptr[uint16](7)},
		}))(t)
		if len(jobs) != 2 || jobs[0].Type != "a" || jobs[1].Priority != 7 || jobs[0].Status != JobReady {
			t.Fatalf("bulk %+v", jobs)
		}
		if empty := must(c.EnqueueBulk(ctx, nil))(t); len(empty) != 0 {
			t.Fatalf("empty bulk %v", empty)
		}
		if _, err := c.EnqueueBulk(ctx, []EnqueueRequest{{Type: "a", Queue: "x,y", Payload: 1}}); !errors.Is(err, ErrClient) {
			t.Fatalf("bad bulk: %v", err)
		}

		ok(t, c.DeleteJob(ctx, job.ID))
		_, err := c.GetJob(ctx, job.ID)
		var zerr *Error
		if !errors.As(err, &zerr) || !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrClient) ||
			zerr.HTTPStatus != 404 || zerr.Retryable() || zerr.Status != "ZIZQ_E_NOT_FOUND" || zerr.Op != "GetJob" ||
			zerr.Message == "" || len(zerr.Body) == 0 || zerr.BodyFormat != c.Format() {
			t.Fatalf("get deleted: %#v", err)
		}
		if !errors.Is(c.DeleteJob(ctx, job.ID), ErrNotFound) {
			t.Fatal("deleting twice must be ErrNotFound")
		}
		// Validation errors of the server are 400 ErrClient with its message.
		_, err = c.Enqueue(ctx, EnqueueRequest{Type: "", Queue: "q", Payload: 1})
		if !errors.As(err, &zerr) || !errors.Is(err, ErrClient) || errors.Is(err, ErrNotFound) || zerr.HTTPStatus != 400 {
			t.Fatalf("invalid enqueue: %v", err)
		}
	})
}

func TestUniqueJobs(t *testing.T) {
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		req := EnqueueRequest{Type: "t", Queue: "q", Payload: 1, UniqueKey: "k1", UniqueWhile: UniqueWhileQueued}
		first, err := c.Enqueue(ctx, req)
		if !pro(t) {
			var zerr *Error
			if !errors.As(err, &zerr) || zerr.HTTPStatus != 403 || !errors.Is(err, ErrClient) {
				t.Fatalf("free tier must answer 403: %v", err)
			}
			return
		}
		ok(t, err)
		second := must(c.Enqueue(ctx, req))(t)
		if first.Duplicate || !second.Duplicate || second.ID != first.ID || second.UniqueKey != "k1" {
			t.Fatalf("unique: %+v %+v", first, second)
		}
	})
}

func TestFreeTierRefusesProFeatures(t *testing.T) {
	requireOwnServer(t)
	eachFormat(t, func(t *testing.T, c *Client) {
		control(t, "PUT", "config", map[string]any{"tier": "free"}, nil)
		defer control(t, "PUT", "config", map[string]any{"tier": "pro"}, nil)
		ctx := ctxT(t)
		_, err := c.Enqueue(ctx, EnqueueRequest{Type: "t", Queue: "q", Payload: 1, UniqueKey: "k"})
		var zerr *Error
		if !errors.As(err, &zerr) || zerr.HTTPStatus != 403 || !strings.Contains(zerr.Message, "pro license") {
			t.Fatalf("unique on free: %v", err)
		}
		if _, err := c.ListCronGroups(ctx); !errors.As(err, &zerr) || zerr.HTTPStatus != 403 {
			t.Fatalf("cron on free: %v", err)
		}
	})
}

func TestListJobsPagination(t *testing.T) {
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		// A queue name the server writes raw into its links.
		queue := "a b&c+d#é"
		var ids []string
		for i := 0; i < 7; i++ {
			ids = append(ids, enqueue(t, c, queue, map[string]int{"i": i}).ID)
		}
		enqueue(t, c, "other", nil)
		page := must(c.ListJobs(ctx, ListJobsOptions{JobFilter: JobFilter{Queue: []string{queue}}, Limit: 3}))(t)
		var seen []string
		var pages []*JobPage
		for page != nil {
			pages = append(pages, page)
			for _, j := range page.Jobs {
				seen = append(seen, j.ID)
				if j.Queue != queue || len(j.Payload) == 0 {
					t.Fatalf("listed %+v", j)
				}
			}
			page = must(page.NextPage(ctx))(t)
		}
		if !reflect.DeepEqual(seen, ids) || len(pages) != 3 || pages[0].HasPrev() || !pages[0].HasNext() || pages[2].HasNext() {
			t.Fatalf("pages: %v vs %v (%d pages)", seen, ids, len(pages))
		}
		if len(pages[2].Jobs) != 1 || !pages[2].HasPrev() {
			t.Fatalf("last page %+v", pages[2].Pages)
		}
		prev := must(pages[2].PrevPage(ctx))(t)
		var back []string
		for _, j := range prev.Jobs {
			back = append(back, j.ID)
		}
		if !reflect.DeepEqual(back, []string{ids[5], ids[4], ids[3]}) {
			t.Fatalf("prev page %v", back)
		}
		if p := must(pages[2].NextPage(ctx))(t); p != nil {
			t.Fatal("next of the last page must be nil")
		}
		// Raw GetPath on a link, and descending order.
		raw := must(c.GetPath(ctx, *pages[0].Pages.Next))(t)
		var doc struct {
			Jobs []Job `json:"jobs"`
		}
		ok(t, json.Unmarshal(raw, &doc))
		if len(doc.Jobs) != 3 || doc.Jobs[0].ID != ids[3] {
			t.Fatalf("get path %s", raw)
		}
		desc := must(c.ListJobs(ctx, ListJobsOptions{Order: OrderDesc, Limit: 2}))(t)
		if len(desc.Jobs) != 2 || desc.Jobs[0].Queue != "other" {
			t.Fatalf("desc %+v", desc.Jobs)
		}
		from := must(c.ListJobs(ctx, ListJobsOptions{From: ids[1], Limit: 2}))(t)
		if from.Jobs[0].ID != ids[2] || !from.HasPrev() {
			t.Fatalf("from %+v", from.Jobs)
		}
		if _, err := c.GetPath(ctx, "http://example.com/jobs"); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("foreign host: %v", err)
		}
	})
}

func TestFiltersAndEmptyFilterShortCircuit(t *testing.T) {
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		a := must(c.Enqueue(ctx, EnqueueRequest{Type: "ta", Queue: "qa", Payload: map[string]int{"user": 1}, Priority: Ptr[uint16](5)}))(t)
		must(c.Enqueue(ctx, EnqueueRequest{Type: "tb", Queue: "qb", Payload: map[string]int{"user": 2}, Priority: Ptr[uint16](50)}))(t)
		must(c.Enqueue(ctx, EnqueueRequest{Type: "tb", Queue: "qa", Payload: map[string]int{"user": 2},
			ReadyAt: MillisOf(time.Now().Add(time.Hour))}))(t)
		cases := []struct {
			f    JobFilter
			want int64
		}{
			{JobFilter{}, 3},
			{JobFilter{Queue: []string{"qa"}}, 2},
			{JobFilter{Queue: []string{"qa", "qb"}}, 3},
			{JobFilter{Type: []string{"tb"}, Queue: []string{"qa"}}, 1},
			{JobFilter{Status: []JobState{JobScheduled}}, 1},
			{JobFilter{ID: []string{a.ID}}, 1},
			{JobFilter{Priority: "..10"}, 1},
			{JobFilter{Priority: "5"}, 1},
			{JobFilter{Attempts: "0"}, 3},
			{JobFilter{Filter: ".user == 2"}, 2},
			{JobFilter{Queue: []string{}}, 0},
			{JobFilter{ID: []string{}}, 0},
		}
		for _, tc := range cases {
			if n := count(t, c, tc.f); n != tc.want {
				t.Errorf("count %+v = %d, want %d", tc.f, n, tc.want)
			}
			page := must(c.ListJobs(ctx, ListJobsOptions{JobFilter: tc.f}))(t)
			if int64(len(page.Jobs)) != tc.want {
				t.Errorf("list %+v = %d jobs, want %d", tc.f, len(page.Jobs), tc.want)
			}
		}
		if _, err := c.CountJobs(ctx, JobFilter{Filter: "this is not jq ((("}); !errors.Is(err, ErrClient) {
			t.Fatalf("bad jq: %v", err)
		}
		// Empty multi-value filters make no request at all.
		before := 0
		if server.own {
			before = state(t).Requests
		}
		page := must(c.ListJobs(ctx, ListJobsOptions{JobFilter: JobFilter{Status: []JobState{}}}))(t)
		n1 := must(c.CountJobs(ctx, JobFilter{Type: []string{}}))(t)
		n2 := must(c.DeleteAllJobs(ctx, JobFilter{Queue: []string{}}))(t)
		n3 := must(c.UpdateAllJobs(ctx, JobFilter{ID: []string{}}, JobUpdate{Priority: Set[uint16](1)}))(t)
		if len(page.Jobs) != 0 || page.HasNext() || n1 != 0 || n2 != 0 || n3 != 0 {
			t.Fatalf("short circuits: %v %d %d %d", page.Jobs, n1, n2, n3)
		}
		if server.own {
			if after := state(t).Requests; after != before {
				t.Fatalf("empty filters made %d requests", after-before)
			}
		}
		if n := count(t, c, JobFilter{}); n != 3 {
			t.Fatalf("nothing may have been deleted: %d", n)
		}
	})
}

func TestUpdateJobUnchangedAndReset(t *testing.T) {
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		job := must(c.Enqueue(ctx, EnqueueRequest{Type: "t", Queue: "q", Payload: 1, Priority: Ptr[uint16](9),
			RetryLimit: Ptr[uint32](3), Backoff: &Backoff{1.5, 100, 10}, Retention: &Retention{DeadMs: Ptr[int64](5)}}))(t)
		// Only the set fields change.
		later := MillisOf(time.Now().Add(time.Hour))
		upd := must(c.UpdateJob(ctx, job.ID, JobUpdate{Priority: Set[uint16](2), ReadyAt: Set(later)}))(t)
		if upd.Priority != 2 || upd.ReadyAt != later || upd.Status != JobScheduled || upd.Queue != "q" ||
			upd.RetryLimit == nil || *upd.RetryLimit != 3 || upd.Backoff == nil || upd.Retention == nil {
			t.Fatalf("partial update %+v", upd)
		}
		// An empty update changes nothing.
		same := must(c.UpdateJob(ctx, job.ID, JobUpdate{}))(t)
		if same.Priority != 2 || *same.RetryLimit != 3 {
			t.Fatalf("empty update %+v", same)
		}
		// Reset restores the server's defaults.
		reset := must(c.UpdateJob(ctx, job.ID, JobUpdate{RetryLimit: Reset[uint32](), Backoff: Reset[Backoff](),
			Retention: Reset[Retention](), ReadyAt: Reset[Millis](), Queue: Set("q2")}))(t)
		if reset.RetryLimit != nil || reset.Backoff != nil || reset.Retention != nil || reset.Queue != "q2" ||
			reset.Status != JobReady || reset.Priority != 2 {
			t.Fatalf("reset %+v", reset)
		}
		set := must(c.UpdateJob(ctx, job.ID, JobUpdate{RetryLimit: Set[uint32](7), Backoff: Set(Backoff{2, 10, 0}),
			Retention: Set(Retention{CompletedMs: Ptr[int64](1000)})}))(t)
		if *set.RetryLimit != 7 || set.Backoff.BaseMs != 10 || *set.Retention.CompletedMs != 1000 {
			t.Fatalf("set %+v", set)
		}
		for _, bad := range []JobUpdate{{Queue: Reset[string]()}, {Priority: Reset[uint16]()}} {
			if _, err := c.UpdateJob(ctx, job.ID, bad); !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("resetting queue/priority: %v", err)
			}
		}
		if _, err := c.UpdateJob(ctx, "0000000000000000000000000", JobUpdate{Priority: Set[uint16](1)}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
		// Bulk update and bulk delete.
		for i := 0; i < 3; i++ {
			enqueue(t, c, "bulk", i)
		}
		n := must(c.UpdateAllJobs(ctx, JobFilter{Queue: []string{"bulk"}}, JobUpdate{Priority: Set[uint16](1), Queue: Set("moved")}))(t)
		if n != 3 || count(t, c, JobFilter{Queue: []string{"moved"}, Priority: "1"}) != 3 {
			t.Fatalf("update all: %d", n)
		}
		if n := must(c.DeleteAllJobs(ctx, JobFilter{Queue: []string{"moved"}}))(t); n != 3 {
			t.Fatalf("delete all where: %d", n)
		}
		if n := must(c.DeleteAllJobs(ctx, JobFilter{}))(t); n != 1 {
			t.Fatalf("delete all: %d", n)
		}
	})
}

func TestOutcomesAndErrors(t *testing.T) {
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		for i := 0; i < 4; i++ {
			enqueue(t, c, "work", i)
		}
		stream := must(c.TakeJobs(ctx, TakeOptions{Prefetch: 4, Queues: []string{"work"}, WorkerID: "go-test"}))(t)
		defer stream.Close()
		jobs := make([]*Job, 0, 4)
		for len(jobs) < 4 {
			batch := must(stream.NextBatch(ctx, 0))(t)
			jobs = append(jobs, batch...)
		}
		for _, j := range jobs {
			if j.Status != JobInFlight || j.DequeuedAt == 0 || len(j.Payload) == 0 {
				t.Fatalf("taken %+v", j)
			}
		}
		ok(t, c.Ack(ctx, jobs[0].ID))
		if err := c.ReportSuccess(ctx, jobs[0].ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second ack: %v", err)
		}
		// Bulk ack with unknown ids is still a success (the server's 422).
		ok(t, c.AckBulk(ctx, []string{jobs[1].ID, "0000000000000000000000000", "nope"}))
		ok(t, c.ReportSuccessBulk(ctx, nil))
		failed := must(c.Nack(ctx, jobs[2].ID, Failure{Message: "boom", ErrorType: "RuntimeError",
			Backtrace: "a.go:1\nb.go:2", RetryAt: time.Now().Add(time.Hour)}))(t)
		if failed.Status != JobScheduled || failed.Attempts != 1 || failed.FailedAt == 0 {
			t.Fatalf("nacked %+v", failed)
		}
		dead := must(c.ReportFailure(ctx, jobs[3].ID, Failure{Message: "fatal", Kill: true}))(t)
		if dead.Status != JobDead {
			t.Fatalf("killed %+v", dead)
		}
		if n := count(t, c, JobFilter{Status: []JobState{JobInFlight, JobReady}}); n != 0 {
			t.Fatalf("left: %d", n)
		}
		page := must(c.ListErrors(ctx, jobs[2].ID, ListErrorsOptions{}))(t)
		if len(page.Errors) != 1 || page.Errors[0].Message != "boom" || page.Errors[0].ErrorType != "RuntimeError" ||
			page.Errors[0].Backtrace != "a.go:1\nb.go:2" || page.Errors[0].Attempt != 1 || page.Errors[0].FailedAt == 0 {
			t.Fatalf("errors %+v", page.Errors)
		}
		rec := must(c.GetError(ctx, jobs[2].ID, 1))(t)
		if *rec != *page.Errors[0] {
			t.Fatalf("get error %+v", rec)
		}
		if _, err := c.GetError(ctx, jobs[2].ID, 2); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing attempt: %v", err)
		}
		// Error pages: make more failures on one job.
		must(c.DeleteAllJobs(ctx, JobFilter{}))(t)
		j := enqueue(t, c, "retry", nil)
		for i := 1; i <= 3; i++ {
			must(c.UpdateJob(ctx, j.ID, JobUpdate{ReadyAt: Reset[Millis]()}))(t)
			s := must(c.TakeJobs(ctx, TakeOptions{Queues: []string{"retry"}}))(t)
			taken := must(s.Next(ctx))(t)
			must(c.Nack(ctx, taken.ID, Failure{Message: "fail " + string(rune('0'+i))}))(t)
			s.Close()
		}
		p1 := must(c.ListErrors(ctx, j.ID, ListErrorsOptions{Limit: 2}))(t)
		p2 := must(p1.NextPage(ctx))(t)
		if len(p1.Errors) != 2 || len(p2.Errors) != 1 || p2.Errors[0].Attempt != 3 || p2.HasNext() {
			t.Fatalf("error pages %+v %+v", p1.Errors, p2.Errors)
		}
		back := must(p2.PrevPage(ctx))(t)
		if len(back.Errors) != 2 || back.Errors[0].Attempt != 2 {
			t.Fatalf("error prev page %+v", back.Errors)
		}
		desc := must(c.ListErrors(ctx, j.ID, ListErrorsOptions{Order: OrderDesc, From: 3}))(t)
		if len(desc.Errors) != 2 || desc.Errors[0].Attempt != 2 {
			t.Fatalf("desc errors %+v", desc.Errors)
		}
	})
}

func TestCrons(t *testing.T) {
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		if !pro(t) {
			_, err := c.ListCronGroups(ctx)
			var zerr *Error
			if !errors.As(err, &zerr) || zerr.HTTPStatus != 403 {
				t.Fatalf("cron on free must be 403: %v", err)
			}
			return
		}
		tmpl := EnqueueRequest{Type: "report", Queue: "cron", Payload: map[string]string{"k": "v"}, RetryLimit: Ptr[uint32](2)}
		group := must(c.ReplaceCronGroup(ctx, "nightly", nil, []CronEntryRequest{
			{Name: "b", Expression: "0 3 * * *", Job: tmpl, Timezone: "Europe/Paris"},
			{Name: "a", Expression: "@hourly", Job: tmpl, Paused: Ptr(true)},
		}))(t)
		if group.Name != "nightly" || group.Paused || len(group.Entries) != 2 || group.Entries[0].Name != "b" ||
			group.Entries[0].Timezone != "Europe/Paris" || group.Entries[0].NextEnqueueAt == 0 || !group.Entries[1].Paused {
			t.Fatalf("group %+v", group)
		}
		if job := group.Entries[0].Job; job.Type != "report" || job.Priority == nil || *job.Priority != 32768 || *job.RetryLimit != 2 {
			t.Fatalf("template %+v", job)
		}
		if names := must(c.ListCronGroups(ctx))(t); !reflect.DeepEqual(names, []string{"nightly"}) {
			t.Fatalf("groups %v", names)
		}
		got := must(c.GetCronGroup(ctx, "nightly"))(t)
		if len(got.Entries) != 2 || got.Entries[0].Name != "a" {
			t.Fatalf("get group %+v", got)
		}
		paused := must(c.UpdateCronGroup(ctx, "nightly", true))(t)
		if !paused.Paused || paused.PausedAt == 0 {
			t.Fatalf("paused group %+v", paused)
		}
		entry := must(c.AddCronGroupEntry(ctx, "other group", CronEntryRequest{Name: "e 1", Expression: "*/5 * * * *", Job: tmpl}))(t)
		if entry.Name != "e 1" || entry.Expression != "*/5 * * * *" {
			t.Fatalf("added %+v", entry)
		}
		_, err := c.AddCronGroupEntry(ctx, "other group", CronEntryRequest{Name: "e 1", Expression: "*/5 * * * *", Job: tmpl})
		var zerr *Error
		if !errors.As(err, &zerr) || zerr.HTTPStatus != 409 || !errors.Is(err, ErrClient) {
			t.Fatalf("duplicate entry: %v", err)
		}
		if e := must(c.GetCronGroupEntry(ctx, "other group", "e 1"))(t); e.Job.Queue != "cron" {
			t.Fatalf("get entry %+v", e)
		}
		repl := must(c.ReplaceCronGroupEntry(ctx, "other group", "e 1", CronEntryRequest{Expression: "0 0 * * *", Job: tmpl}))(t)
		if repl.Expression != "0 0 * * *" || repl.Name != "e 1" {
			t.Fatalf("replaced %+v", repl)
		}
		if e := must(c.UpdateCronGroupEntry(ctx, "other group", "e 1", true))(t); !e.Paused {
			t.Fatalf("paused entry %+v", e)
		}
		ok(t, c.DeleteCronGroupEntry(ctx, "other group", "e 1"))
		if _, err := c.GetCronGroupEntry(ctx, "other group", "e 1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted entry: %v", err)
		}
		if _, err := c.ReplaceCronGroup(ctx, "bad", nil, []CronEntryRequest{{Name: "x", Expression: "nope", Job: tmpl}}); !errors.Is(err, ErrClient) {
			t.Fatalf("bad expression: %v", err)
		}
		ok(t, c.DeleteCronGroup(ctx, "nightly"))
		if !errors.Is(c.DeleteCronGroup(ctx, "nightly"), ErrNotFound) {
			t.Fatal("deleting a missing group must be ErrNotFound")
		}
		names := must(c.ListCronGroups(ctx))(t)
		sort.Strings(names)
		if n := must(c.DeleteAllCrons(ctx))(t); n != int64(len(names)) {
			t.Fatalf("delete all crons %d vs %v", n, names)
		}
		if names := must(c.ListCronGroups(ctx))(t); len(names) != 0 {
			t.Fatalf("left %v", names)
		}
	})
}
