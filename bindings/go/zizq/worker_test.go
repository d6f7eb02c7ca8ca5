package zizq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pending are the statuses of jobs not yet finished (a server may retain
// completed jobs, the test server purges them).
var pending = []JobState{JobScheduled, JobReady, JobInFlight}

func TestWorkerProcessesJobsWithFailures(t *testing.T) {
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		const total = 300
		reqs := make([]EnqueueRequest, total)
		for i := range reqs {
			reqs[i] = EnqueueRequest{Type: "work", Queue: "jobs", Payload: map[string]int{"i": i},
				RetryLimit: Ptr[uint32](0)}
		}
		must(c.EnqueueBulk(ctx, reqs))(t)
		w := must(NewWorker(c, WorkerOptions{Queues: []string{"jobs"}, WorkerID: "go-worker"}))(t)
		var handled atomic.Int64
		var mu sync.Mutex
		seen := map[int]bool{}
		runCtx, stop := context.WithCancel(ctx)
		defer stop()
		done := make(chan error, 1)
		go func() {
			done <- w.Run(runCtx, 8, func(ctx context.Context, job *Job) error {
				var p struct{ I int }
				if err := job.DecodePayload(&p); err != nil {
					return err
				}
				mu.Lock()
				seen[p.I] = true
				mu.Unlock()
				defer handled.Add(1)
				switch {
				case p.I == 7:
					panic("handler exploded")
				case p.I%25 == 0:
					return fmt.Errorf("job %d failed", p.I)
				}
				return nil
			})
		}()
		waitUntil(t, "every job handled", func() bool { return handled.Load() == total })
		waitUntil(t, "outcomes delivered", func() bool {
			return count(t, c, JobFilter{Status: []JobState{JobDead}}) == 13
		})
		stop()
		select {
		case err := <-done:
			ok(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context was cancelled")
		}
		if len(seen) != total {
			t.Fatalf("saw %d distinct jobs", len(seen))
		}
		// retry_limit 0: every failure is dead at once; nothing else is pending.
		if n := count(t, c, JobFilter{Status: pending}); n != 0 {
			t.Fatalf("jobs left: %d", n)
		}
		stats := must(w.Stats())(t)
		if stats.Acked != total-13 || stats.Nacked != 13 || stats.PendingAcks != 0 || stats.State != "stopped" {
			t.Fatalf("stats %+v", stats)
		}
		dead := must(c.ListJobs(ctx, ListJobsOptions{JobFilter: JobFilter{Status: []JobState{JobDead}}, Limit: 100}))(t)
		var panicked, failed int
		for _, j := range dead.Jobs {
			rec := must(c.GetError(ctx, j.ID, 1))(t)
			switch {
			case rec.ErrorType == "panic":
				panicked++
				if !strings.Contains(rec.Message, "handler exploded") || !strings.Contains(rec.Backtrace, "worker_test.go") {
					t.Fatalf("panic record %+v", rec)
				}
			case rec.ErrorType == "*errors.errorString" || rec.ErrorType == "*fmt.wrapError":
				failed++
				if !strings.HasPrefix(rec.Message, "job ") {
					t.Fatalf("error record %+v", rec)
				}
			default:
				t.Fatalf("unexpected record %+v", rec)
			}
		}
		if panicked != 1 || failed != 12 {
			t.Fatalf("panicked %d failed %d", panicked, failed)
		}
		ok(t, w.Shutdown(time.Second)) // idempotent
		if err := w.Run(ctx, 1, func(context.Context, *Job) error { return nil }); err == nil {
			t.Fatal("a worker runs once")
		}
	})
}

func TestWorkerRetryKillAndShutdown(t *testing.T) {
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		retry := enqueue(t, c, "rk", "retry")
		kill := enqueue(t, c, "rk", "kill")
		w := must(NewWorker(c, WorkerOptions{Queues: []string{"rk"}, Prefetch: 4}))(t)
		var handled atomic.Int64
		when := time.Now().Add(time.Hour)
		done := make(chan error, 1)
		go func() {
			done <- w.Run(context.Background(), 2, func(ctx context.Context, job *Job) error {
				defer handled.Add(1)
				var what string
				_ = job.DecodePayload(&what)
				if what == "retry" {
					return RetryAt(when, errors.New("later"))
				}
				return Kill(errors.New("hopeless"))
			})
		}()
		waitUntil(t, "both handled", func() bool { return handled.Load() == 2 })
		ok(t, w.Shutdown(5*time.Second))
		ok(t, <-done)
		r := must(c.GetJob(ctx, retry.ID))(t)
		k := must(c.GetJob(ctx, kill.ID))(t)
		if r.Status != JobScheduled || r.ReadyAt != MillisOf(when) || k.Status != JobDead {
			t.Fatalf("retry %+v kill %+v", r, k)
		}
		rec := must(c.GetError(ctx, kill.ID, 1))(t)
		if rec.Message != "hopeless" {
			t.Fatalf("kill record %+v", rec)
		}
		// Shutdown before Run makes Run return at once.
		w2 := must(NewWorker(c, WorkerOptions{}))(t)
		ok(t, w2.Shutdown(time.Second))
		ok(t, w2.Run(ctx, 1, func(context.Context, *Job) error { return nil }))
	})
}

func TestWorkerRefusedStreamFails(t *testing.T) {
	requireOwnServer(t)
	eachFormat(t, func(t *testing.T, c *Client) {
		faults(t, map[string]any{"fail_requests": map[string]any{"status": 403, "count": -1, "path": "/jobs/take"}})
		w := must(NewWorker(c, WorkerOptions{}))(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := w.Run(ctx, 2, func(context.Context, *Job) error { return nil })
		var zerr *Error
		if !errors.As(err, &zerr) || zerr.HTTPStatus != 403 || ctx.Err() != nil {
			t.Fatalf("refused worker: %v", err)
		}
	})
}

func TestWorkerSurvivesDroppedStreams(t *testing.T) {
	requireOwnServer(t)
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		for i := 0; i < 20; i++ {
			enqueue(t, c, "drop", i)
		}
		w := must(NewWorker(c, WorkerOptions{Queues: []string{"drop"}, Prefetch: 2,
			BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond}))(t)
		runCtx, stop := context.WithCancel(ctx)
		defer stop()
		var handled atomic.Int64
		done := make(chan error, 1)
		go func() {
			done <- w.Run(runCtx, 2, func(context.Context, *Job) error {
				handled.Add(1)
				time.Sleep(5 * time.Millisecond)
				return nil
			})
		}()
		waitUntil(t, "a few jobs", func() bool { return handled.Load() >= 5 })
		var closed struct{ Closed int }
		control(t, "POST", "close_streams", map[string]any{}, &closed)
		waitUntil(t, "all jobs completed", func() bool { return count(t, c, JobFilter{Status: pending}) == 0 })
		stop()
		ok(t, <-done)
		if st := must(w.Stats())(t); closed.Closed != 1 || st.Reconnects < 1 || st.Acked < 20 {
			t.Fatalf("closed %d, stats %+v", closed.Closed, st)
		}
	})
}
