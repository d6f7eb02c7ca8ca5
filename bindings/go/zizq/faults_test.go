package zizq

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestInjectedHTTPErrors(t *testing.T) {
	requireOwnServer(t)
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		cases := []struct {
			status    int
			sentinel  error
			retryable bool
		}{
			{500, ErrServer, true},
			{503, ErrServer, true},
			{404, ErrNotFound, false},
			{400, ErrClient, false},
			{422, ErrClient, false},
		}
		for _, tc := range cases {
			faults(t, map[string]any{"fail_requests": map[string]any{"status": tc.status, "count": 1, "method": "POST", "path": "/jobs"}})
			_, err := c.Enqueue(ctx, EnqueueRequest{Type: "t", Queue: "q", Payload: 1})
			var zerr *Error
			if !errors.As(err, &zerr) || !errors.Is(err, tc.sentinel) || zerr.HTTPStatus != tc.status ||
				zerr.Retryable() != tc.retryable || zerr.Message != "injected fault" || len(zerr.Body) == 0 {
				t.Fatalf("HTTP %d: %#v", tc.status, err)
			}
			if tc.status >= 500 && errors.Is(err, ErrClient) {
				t.Fatalf("5xx is not ErrClient")
			}
		}
		// The fault was consumed: the next call works, and nothing was enqueued before.
		if n := count(t, c, JobFilter{}); n != 0 {
			t.Fatalf("faulted enqueues must not act: %d", n)
		}
		enqueue(t, c, "q", 1)
		// A 5xx on a count, a 500 on bulk ack (not swallowed like a 422).
		faults(t, map[string]any{"fail_requests": map[string]any{"status": 502, "count": 1, "path": "/jobs/count"}})
		if _, err := c.CountJobs(ctx, JobFilter{}); !errors.Is(err, ErrServer) {
			t.Fatalf("count 502: %v", err)
		}
		faults(t, map[string]any{"fail_requests": map[string]any{"status": 500, "count": 1, "path": "/jobs/success"}})
		if err := c.AckBulk(ctx, []string{"x"}); !errors.Is(err, ErrServer) {
			t.Fatalf("bulk ack 500: %v", err)
		}
		// A connection reset after the request was read is a transport error
		// (a transparent retry for GET); not retryable for an enqueue, which
		// the server may have performed.
		faults(t, map[string]any{"reset_connections": 1})
		_, err := c.Enqueue(ctx, EnqueueRequest{Type: "t", Queue: "q", Payload: 1})
		var zerr *Error
		if !errors.As(err, &zerr) || zerr.Retryable() || !(errors.Is(err, ErrConnection) || errors.Is(err, ErrTimeout)) {
			t.Fatalf("reset connection: %v", err)
		}
		must(c.Health(ctx))(t)
	})
}

func TestSilentConnectionIsReplaced(t *testing.T) {
	requireOwnServer(t)
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		short := newClient(t, c.Format(), WithReadTimeout(300*time.Millisecond))
		must(short.Health(ctx))(t)
		// The connection goes silent: the request is read, never answered,
		// and nothing closes the connection.
		faults(t, map[string]any{"blackhole": 1})
		if _, err := short.Health(ctx); !errors.Is(err, ErrTimeout) {
			t.Fatalf("silent connection: %v", err)
		}
		// The next calls use a fresh connection.
		must(short.Health(ctx))(t)
		job := must(short.Enqueue(ctx, EnqueueRequest{Type: "t", Queue: "q", Payload: 1}))(t)
		must(short.GetJob(ctx, job.ID))(t)
	})
}

func TestContextCancellation(t *testing.T) {
	requireOwnServer(t)
	eachFormat(t, func(t *testing.T, c *Client) {
		faults(t, map[string]any{"delay_ms": 1000})
		// A deadline interrupts a delayed request promptly.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Health(ctx)
		if elapsed := time.Since(start); elapsed > 700*time.Millisecond {
			t.Fatalf("cancellation took %v", elapsed)
		}
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrCancelled) {
			t.Fatalf("deadline: %v", err)
		}
		// cancel() from another goroutine, while a second call on the same
		// client (another context) is not affected.
		ctx2, cancel2 := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var otherErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			octx, ocancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer ocancel()
			_, otherErr = c.ServerVersion(octx)
		}()
		time.AfterFunc(100*time.Millisecond, cancel2)
		start = time.Now()
		_, err = c.GetQueues(ctx2)
		if !errors.Is(err, context.Canceled) || time.Since(start) > 700*time.Millisecond {
			t.Fatalf("cancel: %v after %v", err, time.Since(start))
		}
		wg.Wait()
		if otherErr != nil {
			t.Fatalf("the other call must finish normally: %v", otherErr)
		}
		// An already-done context makes no call.
		if _, err := c.Health(ctx2); !errors.Is(err, context.Canceled) {
			t.Fatalf("done context: %v", err)
		}
		faults(t, map[string]any{"delay_ms": 0})
		// A read timeout is ErrTimeout (retryable), not a cancellation.
		slow := newClient(t, c.Format(), WithReadTimeout(200*time.Millisecond))
		faults(t, map[string]any{"delay_ms": 2000})
		_, err = slow.Health(context.Background())
		var zerr *Error
		if !errors.Is(err, ErrTimeout) || !errors.As(err, &zerr) || !zerr.Retryable() || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("read timeout: %v", err)
		}
	})
}

func TestCloseInterruptsCalls(t *testing.T) {
	requireOwnServer(t)
	eachFormat(t, func(t *testing.T, c *Client) {
		faults(t, map[string]any{"delay_ms": 3000})
		errs := make(chan error, 1)
		go func() {
			_, err := c.Health(context.Background())
			errs <- err
		}()
		time.Sleep(100 * time.Millisecond)
		ok(t, c.Close())
		select {
		case err := <-errs:
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("closed during call: %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Close did not interrupt the call")
		}
		if _, err := c.Health(ctxT(t)); !errors.Is(err, ErrClosed) {
			t.Fatalf("after close: %v", err)
		}
		ok(t, c.Close())
	})
}

func TestTakeStreams(t *testing.T) {
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		enqueue(t, c, "a", map[string]int{"x": 1})
		enqueue(t, c, "b", map[string]int{"x": 2})
		// TakeJobsFunc: the seed's callback loop with on_connect.
		connected := false
		var got []*Job
		err := c.TakeJobsFunc(ctx, TakeOptions{Prefetch: 5, Queues: []string{"b"}, OnConnect: func() { connected = true }},
			func(ctx context.Context, job *Job) error {
				got = append(got, job)
				return ErrStopTaking
			})
		ok(t, err)
		var p struct{ X int }
		if !connected || len(got) != 1 || got[0].Queue != "b" || got[0].DecodePayload(&p) != nil || p.X != 2 {
			t.Fatalf("take func: %v %+v", connected, got)
		}
		// Leaving the loop requeued the unacknowledged job.
		waitUntil(t, "requeue", func() bool { return count(t, c, JobFilter{Status: []JobState{JobReady}}) == 2 })
		// A handler error is returned as is.
		boom := errors.New("boom")
		if err := c.TakeJobsFunc(ctx, TakeOptions{}, func(context.Context, *Job) error { return boom }); err != boom {
			t.Fatalf("handler error: %v", err)
		}
		// Prefetch limits unacknowledged jobs.
		enqueue(t, c, "a", 3)
		s := must(c.TakeJobs(ctx, TakeOptions{Prefetch: 2}))(t)
		defer s.Close()
		first := must(s.Next(ctx))(t)
		second := must(s.Next(ctx))(t)
		short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
		_, err = s.Next(short)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("third job must wait for an ack: %v", err)
		}
		ok(t, c.Ack(ctx, first.ID))
		third := must(s.Next(ctx))(t)
		if third.ID == first.ID || third.ID == second.ID {
			t.Fatal("the third job must be a new one")
		}
		// Close from another goroutine wakes a waiting Next.
		ok(t, c.Ack(ctx, second.ID))
		ok(t, c.Ack(ctx, third.ID))
		time.AfterFunc(100*time.Millisecond, func() { s.Close() })
		if _, err := s.Next(ctx); !errors.Is(err, ErrClosed) {
			t.Fatalf("closed stream: %v", err)
		}
		ok(t, s.Close())
		// CloseStreams (cleanup_internal_clients) ends every stream of the
		// client, which stays usable.
		s2 := must(c.TakeJobs(ctx, TakeOptions{}))(t)
		defer s2.Close()
		time.AfterFunc(100*time.Millisecond, c.CloseStreams)
		if _, err := s2.Next(ctx); !errors.Is(err, ErrClosed) {
			t.Fatalf("streams closed by the client: %v", err)
		}
		must(c.Health(ctx))(t)
	})
}

func TestDroppedAndBrokenStreams(t *testing.T) {
	requireOwnServer(t)
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		enqueue(t, c, "q", 1)
		// The server drops the stream: Next reports its end, the job is requeued.
		s := must(c.TakeJobs(ctx, TakeOptions{}))(t)
		must(s.Next(ctx))(t)
		var closed struct{ Closed int }
		control(t, "POST", "close_streams", map[string]any{}, &closed)
		if closed.Closed != 1 {
			t.Fatalf("closed %d streams", closed.Closed)
		}
		if _, err := s.Next(ctx); !errors.Is(err, ErrStreamEnded) {
			t.Fatalf("dropped stream: %v", err)
		}
		s.Close()
		waitUntil(t, "requeue", func() bool { return count(t, c, JobFilter{Status: []JobState{JobReady}}) == 1 })
		// TakeJobsFunc returns nil when the server ends the stream.
		faults(t, map[string]any{"close_streams_after_jobs": 1})
		n := 0
		ok(t, c.TakeJobsFunc(ctx, TakeOptions{}, func(context.Context, *Job) error { n++; return nil }))
		if n != 1 {
			t.Fatalf("jobs before the end: %d", n)
		}
		faults(t, map[string]any{"close_streams_after_jobs": 0})
		// Truncated and corrupt frames are stream errors.
		waitUntil(t, "requeue", func() bool { return count(t, c, JobFilter{Status: []JobState{JobReady}}) == 1 })
		faults(t, map[string]any{"truncate_next_frame": true})
		if err := c.TakeJobsFunc(ctx, TakeOptions{}, func(context.Context, *Job) error { return nil }); !errors.Is(err, ErrStream) {
			t.Fatalf("truncated: %v", err)
		}
		waitUntil(t, "requeue", func() bool { return count(t, c, JobFilter{Status: []JobState{JobReady}}) == 1 })
		faults(t, map[string]any{"corrupt_next_frame": true})
		err := c.TakeJobsFunc(ctx, TakeOptions{}, func(context.Context, *Job) error { return nil })
		if !errors.Is(err, ErrStream) && !errors.Is(err, ErrDecode) {
			t.Fatalf("corrupt: %v", err)
		}
		// A refused stream.
		faults(t, map[string]any{"fail_requests": map[string]any{"status": 500, "count": 1, "path": "/jobs/take"}})
		_, err = c.TakeJobs(ctx, TakeOptions{})
		var zerr *Error
		if !errors.Is(err, ErrStream) || !errors.As(err, &zerr) || zerr.HTTPStatus != 500 {
			t.Fatalf("refused: %v", err)
		}
		// A silent stream (no heartbeats) is reported dead after the idle timeout.
		quiet := newClient(t, c.Format(), WithStreamIdleTimeout(500*time.Millisecond))
		must(quiet.DeleteAllJobs(ctx, JobFilter{}))(t)
		qs := must(quiet.TakeJobs(ctx, TakeOptions{}))(t)
		defer qs.Close()
		short, cancel := context.WithTimeout(ctx, 1200*time.Millisecond)
		_, err = qs.Next(short) // heartbeats every 100 ms keep it alive
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a stream with heartbeats must stay alive: %v", err)
		}
		faults(t, map[string]any{"heartbeats": false})
		if _, err := qs.Next(ctx); !errors.Is(err, ErrTimeout) {
			t.Fatalf("silent stream: %v", err)
		}
	})
}
