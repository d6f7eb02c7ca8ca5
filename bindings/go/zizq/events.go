package zizq

/*
#include <poll.h>
#include "zizq.h"

// Block until either descriptor is readable (the events pump's only wait).
static void zizq_go_wait_either(int a, int b) {
	struct pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
	poll(fds, 2, -1);
}
*/
import "C"

import (
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
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

// eventStop ends an events pump: the pump waits on the events descriptor
// and on a pipe that stop writes to, so an idle client's pump sleeps until
// something happens.
type eventStop struct {
	once      sync.Once
	stopped   atomic.Bool
	wakeRead  int
	wakeWrite int
}

func newEventStop() (*eventStop, error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return nil, err
	}
	return &eventStop{wakeRead: fds[0], wakeWrite: fds[1]}, nil
}

// stop wakes the pump, which then returns. Never blocks; idempotent.
func (s *eventStop) stop() {
	s.once.Do(func() {
		s.stopped.Store(true)
		_, _ = syscall.Write(s.wakeWrite, []byte{1}) // EPIPE once the pump is gone
		_ = syscall.Close(s.wakeWrite)
	})
}

// pumpEvents logs the events of the client behind d (a derived handle it
// owns and frees) until the client is closed, or s is stopped (the Client
// was collected). It holds no reference to the Client.
func pumpEvents(d *C.zizq_client, logger *slog.Logger, s *eventStop) {
	defer C.zizq_client_free(d)
	defer syscall.Close(s.wakeRead) // the write end is stop's to close
	fd := C.zizq_client_events_fd(d)
	for !s.stopped.Load() {
		C.zizq_go_wait_either(fd, C.int(s.wakeRead))
		if s.stopped.Load() {
			return
		}
		var buf C.zizq_buf
		if C.zizq_client_next_events(d, 0, 0, &buf, nil) != C.ZIZQ_OK {
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
