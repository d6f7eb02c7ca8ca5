package zizq

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// captured collects the records a client logs.
type captured struct {
	mu      sync.Mutex
	records []slog.Record
}

func (c *captured) Enabled(context.Context, slog.Level) bool { return true }
func (c *captured) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *captured) WithGroup(string) slog.Handler            { return c }
func (c *captured) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, r.Clone())
	return nil
}

// attrs of a record, by key.
func attrs(r slog.Record) map[string]any {
	m := map[string]any{}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.Any(); return true })
	return m
}

// waitFor waits for a record of kind, and returns it with its attributes.
func (c *captured) waitFor(t *testing.T, kind string) (slog.Record, map[string]any) {
	t.Helper()
	var found slog.Record
	var fields map[string]any
	waitUntil(t, "a "+kind+" record", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, r := range c.records {
			if a := attrs(r); a["kind"] == kind {
				found, fields = r, a
				return true
			}
		}
		return false
	})
	return found, fields
}

func loggedClient(t *testing.T, opts ...Option) (*Client, *captured) {
	logs := &captured{}
	c := newClient(t, JSON, append([]Option{WithLogger(slog.New(logs))}, opts...)...)
	return c, logs
}

func TestEventsAreLoggedWithTheirAttributes(t *testing.T) {
	c, logs := loggedClient(t)
	must(c.Health(ctxT(t)))(t)
	r, a := logs.waitFor(t, "connection_opened")
	if r.Level != slog.LevelInfo || a["area"] != "transport" || a["url"] != c.URL() ||
		!strings.Contains(r.Message, "connection to") || time.Since(r.Time) > time.Minute {
		t.Fatalf("record %v %v", r, a)
	}
	st := must(c.Stats())(t)
	if st.Requests != 1 || st.RequestsOK != 1 || st.OpenConnections != 1 || st.LatencyP50Ms == nil {
		t.Fatalf("stats %+v", st)
	}
}

func TestWorkerEventsAtTheirLevels(t *testing.T) {
	requireOwnServer(t)
	control(t, "DELETE", "faults", nil, nil)
	t.Cleanup(func() { control(t, "DELETE", "faults", nil, nil) })
	c, logs := loggedClient(t)
	ctx := ctxT(t)
	ok(t, c.EraseAllData(ctx))
	w := must(NewWorker(c, WorkerOptions{Queues: []string{"ev"},
		BackoffMin: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond}))(t)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- w.Run(runCtx, 1, func(context.Context, *Job) error { return nil })
	}()
	defer func() { stop(); ok(t, <-done) }()
	logs.waitFor(t, "stream_connected")

	// A reconnect.
	var closed struct{ Closed int }
	control(t, "POST", "close_streams", map[string]any{}, &closed)
	r, a := logs.waitFor(t, "reconnect_scheduled")
	if r.Level != slog.LevelWarn || a["area"] != "worker" || !strings.Contains(r.Message, "reconnecting in") {
		t.Fatalf("record %v %v", r, a)
	}
	if _, isNumber := a["delay_ms"].(float64); !isNumber {
		t.Fatalf("delay_ms %T", a["delay_ms"])
	}

	// A retried ack, then a refused one.
	faults(t, map[string]any{"fail_requests": map[string]any{"status": 503, "count": 1, "method": "POST", "path": "/jobs/success"}})
	enqueue(t, c, "ev", 1)
	r, a = logs.waitFor(t, "acks_retried")
	if r.Level != slog.LevelWarn || a["count"] != 1.0 || a["http_status"] != 503.0 {
		t.Fatalf("record %v %v", r, a)
	}
	waitUntil(t, "the ack delivered", func() bool { return must(w.Stats())(t).Acked == 1 })
	faults(t, map[string]any{"fail_requests": map[string]any{"status": 400, "count": 1, "method": "POST", "path": "/jobs/success"}})
	enqueue(t, c, "ev", 2)
	r, a = logs.waitFor(t, "acks_refused")
	if r.Level != slog.LevelError || a["count"] != 1.0 || a["http_status"] != 400.0 {
		t.Fatalf("record %v %v", r, a)
	}
	if st := must(c.Stats())(t); st.RequestsClientError < 1 || st.RequestsServerError < 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestLogLevelKeepsQuieterEventsOut(t *testing.T) {
	requireOwnServer(t)
	t.Cleanup(func() { control(t, "DELETE", "faults", nil, nil) })
	c, logs := loggedClient(t, WithLogLevel(slog.LevelWarn))
	must(c.Health(ctxT(t)))(t)
	// A reset connection: the GET is retried (info) and its connection
	// retired (warning). Events arrive in order, so once the warning is
	// here, the info events would have been too.
	faults(t, map[string]any{"reset_connections": 1})
	must(c.Health(ctxT(t)))(t)
	logs.waitFor(t, "connection_retired")
	logs.mu.Lock()
	defer logs.mu.Unlock()
	for _, r := range logs.records {
		if r.Level < slog.LevelWarn {
			t.Fatalf("kept %v", r)
		}
	}
}

// A pump waits for events without a time limit; stop (run when its Client
// is collected) wakes it, and it ends.
func TestStoppingAPumpEndsItsWait(t *testing.T) {
	c := newClient(t, JSON)
	p, err := startEventPump(c.h, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.stop()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the pump did not end after stop")
	}
	p.stop() // idempotent, after the handle was freed
	must(c.Health(ctxT(t)))(t)
}
