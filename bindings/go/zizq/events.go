package zizq

/*
#include "zizq.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// WithLogger sends what libzizq reports (connections opened, closed and
// retired, requests retried, take streams connected and ended, worker
// reconnects with their delay, ack batches retried, refused or dropped,
// TLS failures...) to l, each event a record with its time, level,
// message and attributes: "area" (transport, take, worker, events),
// "kind" (e.g. "reconnect_scheduled") and the event's fields ("url",
// "delay_ms", "count", "http_status", "reason"...). The default is
// slog.Default(), looked up at each event.
func WithLogger(l *slog.Logger) Option { return func(o *clientOptions) { o.logger = l } }

// WithLogLevel sets the least level of the events libzizq keeps (default
// slog.LevelInfo); quieter events are not even built.
func WithLogLevel(l slog.Level) Option {
	return func(o *clientOptions) {
		switch {
		case l <= slog.LevelDebug:
			o.LogLevel = "debug"
		case l <= slog.LevelInfo:
			o.LogLevel = "info"
		case l <= slog.LevelWarn:
			o.LogLevel = "warn"
		default:
			o.LogLevel = "error"
		}
	}
}

// ClientStats are the client's figures (zizq_client_stats): requests by
// outcome, retries, connections, bytes and request latency over the last
// LatencyWindowMs.
type ClientStats struct {
	Requests            int64 `json:"requests"`
	RequestsOK          int64 `json:"requests_ok"`
	RequestsClientError int64 `json:"requests_client_error"`
	RequestsServerError int64 `json:"requests_server_error"`
	RequestsFailed      int64 `json:"requests_failed"`
	Timeouts            int64 `json:"timeouts"`
	Retries             int64 `json:"retries"`
	OpenConnections     int64 `json:"open_connections"`
	TakeStreams         int64 `json:"take_streams"`
	BytesOut            int64 `json:"bytes_out"`
	BytesIn             int64 `json:"bytes_in"`
	LatencyWindowMs     int64 `json:"latency_window_ms"`
	LatencySamples      int64 `json:"latency_samples"`
	// Nil without samples in the window.
	LatencyP50Ms  *float64 `json:"latency_p50_ms"`
	LatencyP90Ms  *float64 `json:"latency_p90_ms"`
	LatencyP99Ms  *float64 `json:"latency_p99_ms"`
	EventsDropped int64    `json:"events_dropped"`
}

// Stats returns the client's figures.
func (c *Client) Stats() (ClientStats, error) {
	var stats ClientStats
	if c == nil {
		return stats, nilReceiver("Stats", "*Client")
	}
	var buf C.zizq_buf
	var cerr *C.zizq_error
	st := C.zizq_client_stats(c.h, &buf, &cerr)
	runtime.KeepAlive(c)
	if st != C.ZIZQ_OK {
		return stats, newError("Stats", st, cerr)
	}
	if err := json.Unmarshal(takeBuf(&buf), &stats); err != nil {
		return stats, goError("Stats", StatusDecode, "%v", err)
	}
	return stats, nil
}

// event is one map of zizq_client_next_events.
type event struct {
	TimeMs  int64          `json:"time_ms"`
	Level   string         `json:"level"`
	Area    string         `json:"area"`
	Kind    string         `json:"kind"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields"`
}

var slogLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

// eventPump forwards the events of a client, through a derived handle it
// owns, from a goroutine of its own. It waits for events without a time
// limit, so an idle client's pump sleeps until something happens; stop (the
// Client was collected) ends the wait with zizq_client_events_wakeup.
type eventPump struct {
	mu      sync.Mutex
	d       *C.zizq_client // nil once the pump freed it
	stopped atomic.Bool
	done    chan struct{} // closed when the pump has ended
}

// startEventPump starts a pump on a handle derived from h.
func startEventPump(h *C.zizq_client, logger *slog.Logger) (*eventPump, error) {
	var d *C.zizq_client
	var cerr *C.zizq_error
	if st := C.zizq_client_derive(h, &d, &cerr); st != C.ZIZQ_OK {
		return nil, newError("NewClient", st, cerr)
	}
	p := &eventPump{d: d, done: make(chan struct{})}
	go p.run(logger)
	return p, nil
}

// stop ends the pump soon. Never blocks for long; idempotent.
func (p *eventPump) stop() {
	p.stopped.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.d != nil {
		C.zizq_client_events_wakeup(p.d)
	}
}

// run logs events until the client is closed or the pump is stopped, then
// frees the handle. It holds no reference to the Client.
func (p *eventPump) run(logger *slog.Logger) {
	d := p.d
	defer func() {
		p.mu.Lock()
		p.d = nil
		C.zizq_client_free(d)
		p.mu.Unlock()
		close(p.done)
	}()
	for !p.stopped.Load() {
		var buf C.zizq_buf
		if C.zizq_client_next_events(d, 0, -1, &buf, nil) != C.ZIZQ_OK {
			return // closed
		}
		var events []event
		if json.Unmarshal(takeBuf(&buf), &events) != nil {
			continue
		}
		for _, e := range events {
			logEvent(logger, e)
		}
	}
}

func logEvent(logger *slog.Logger, e event) {
	if logger == nil {
		logger = slog.Default()
	}
	level, ok := slogLevels[e.Level]
	if !ok {
		level = slog.LevelWarn
	}
	ctx := context.Background()
	handler := logger.Handler()
	if !handler.Enabled(ctx, level) {
		return
	}
	record := slog.NewRecord(time.UnixMilli(e.TimeMs), level, e.Message, 0)
	record.AddAttrs(slog.String("area", e.Area), slog.String("kind", e.Kind))
	for key, value := range e.Fields {
		record.AddAttrs(slog.Any(key, value))
	}
	_ = handler.Handle(ctx, record)
}
