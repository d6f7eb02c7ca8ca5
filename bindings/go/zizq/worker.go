package zizq

/*
#include <stdlib.h>
#include "zizq.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// WorkerOptions configure a Worker. Zero values take the defaults.
type WorkerOptions struct {
	Queues   []string // default: every queue
	Prefetch int      // unacknowledged jobs the server may send; default 2 × concurrency; Unlimited
	WorkerID string
	// MaxAckBatch is the most ids per bulk ack (default and maximum 1000);
	// AckConcurrency the ack requests in flight (default 4).
	MaxAckBatch    int
	AckConcurrency int
	// BackoffMin / BackoffMax bound the reconnect and retry backoff
	// (default 500 ms / 30 s).
	BackoffMin, BackoffMax time.Duration
	// ShutdownTimeout bounds the shutdown Run performs when its context
	// is done (default 30 s).
	ShutdownTimeout time.Duration
}

// Handler processes one job. Returning nil acks the job; returning an
// error (or panicking) nacks it with the error's type and message (and the
// stack for a panic), and the server retries it with backoff. Wrap the
// error with RetryAt / RetryAfter to pick the retry time, or with Kill to
// give up on the job.
//
// ctx is not cancelled when Run's context is: running handlers are let
// finish during a graceful shutdown. It is cancelled when a shutdown
// times out.
type Handler func(ctx context.Context, job *Job) error

// RetryError asks the worker to retry the job at At (see RetryAt).
type RetryError struct {
	At  time.Time
	Err error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("retry at %s: %v", e.At.Format(time.RFC3339Nano), e.Err)
}
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAt wraps err so the job is retried at t.
func RetryAt(t time.Time, err error) error { return &RetryError{At: t, Err: err} }

// RetryAfter wraps err so the job is retried after d.
func RetryAfter(d time.Duration, err error) error { return RetryAt(time.Now().Add(d), err) }

// KillError tells the worker to give up on the job (it becomes dead).
type KillError struct{ Err error }

func (e *KillError) Error() string { return fmt.Sprintf("kill: %v", e.Err) }
func (e *KillError) Unwrap() error { return e.Err }

// Kill wraps err so the job is marked dead instead of retried.
func Kill(err error) error { return &KillError{Err: err} }

// Worker runs a handler for every job on libzizq's worker: the core keeps
// the take stream open (reconnecting with backoff), batches
// acknowledgements, and shuts down in the safe order (stop taking, let
// running handlers finish, flush acks and nacks, close the stream).
type Worker struct {
	client *Client
	opts   WorkerOptions

	mu       sync.Mutex
	w        *C.zizq_worker
	started  bool
	stopped  bool // Shutdown was called
	hcancel  context.CancelFunc
	shutOnce sync.Once
	shutErr  error
}

// NewWorker prepares a worker; Run starts it.
func NewWorker(client *Client, opts WorkerOptions) (*Worker, error) {
	if client == nil {
		return nil, goError("NewWorker", StatusNullArg, "client is nil")
	}
	w := &Worker{client: client, opts: opts}
	runtime.SetFinalizer(w, func(w *Worker) {
		if w.w != nil {
			C.zizq_worker_free(w.w)
		}
	})
	return w, nil
}

func (w *Worker) doc(concurrency int) map[string]any {
	o := w.opts
	// libzizq derives the default prefetch from the concurrency.
	m := map[string]any{"concurrency": concurrency}
	if len(o.Queues) > 0 {
		m["queues"] = o.Queues
	}
	switch {
	case o.Prefetch == Unlimited:
		m["prefetch"] = 0
	case o.Prefetch > 0:
		m["prefetch"] = o.Prefetch
	}
	if o.WorkerID != "" {
		m["worker_id"] = o.WorkerID
	}
	if o.MaxAckBatch > 0 {
		m["max_ack_batch"] = o.MaxAckBatch
	}
	if o.AckConcurrency > 0 {
		m["ack_concurrency"] = o.AckConcurrency
	}
	if o.BackoffMin > 0 {
		m["backoff_min_ms"] = o.BackoffMin.Milliseconds()
	}
	if o.BackoffMax > 0 {
		m["backoff_max_ms"] = o.BackoffMax.Milliseconds()
	}
	if o.ShutdownTimeout > 0 {
		m["shutdown_timeout_ms"] = o.ShutdownTimeout.Milliseconds()
	}
	return m
}

// Run starts the worker with concurrency handler goroutines and blocks
// until ctx is done (then it shuts down gracefully, bounded by
// ShutdownTimeout), Shutdown is called, or the worker fails (e.g. the
// server refused the take stream with a 4xx: that error is returned). A
// worker runs once.
func (w *Worker) Run(ctx context.Context, concurrency int, handler Handler) error {
	if w == nil {
		return nilReceiver("Run", "*Worker")
	}
	if concurrency < 1 {
		return goError("Run", StatusInvalidArg, "concurrency must be at least 1")
	}
	if handler == nil {
		return goError("Run", StatusInvalidArg, "handler is nil")
	}
	w.mu.Lock()
	if w.started {
		w.mu.Unlock()
		return goError("Run", StatusInvalidArg, "this worker was already started")
	}
	w.started = true
	if w.stopped {
		w.mu.Unlock()
		return nil
	}
	doc, err := w.client.withDoc("Run", w.doc(concurrency))
	if err != nil {
		w.mu.Unlock()
		return err
	}
	var cerr *C.zizq_error
	if st := C.zizq_worker_new(w.client.h, bytesPtr(doc), C.size_t(len(doc)), &w.w, &cerr); st != C.ZIZQ_OK {
		w.mu.Unlock()
		return newError("Run", st, cerr)
	}
	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	w.hcancel = hcancel
	w.mu.Unlock()
	defer hcancel()

	var wg sync.WaitGroup
	failures := make(chan error, concurrency)
	for i := 0; i < concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.work(hctx, handler); err != nil {
				failures <- err
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	var failure error
	select {
	case <-done:
	case <-ctx.Done():
		timeout := w.opts.ShutdownTimeout
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		_ = w.Shutdown(timeout)
		<-done
	case failure = <-failures:
		_ = w.Shutdown(w.opts.ShutdownTimeout)
		<-done
	}
	if failure == nil {
		select {
		case failure = <-failures:
		default:
		}
	}
	runtime.KeepAlive(w)
	return failure
}

// work is one handler goroutine: one job at a time until shutdown.
func (w *Worker) work(ctx context.Context, handler Handler) error {
	for {
		var batch *C.zizq_batch
		var cerr *C.zizq_error
		st := C.zizq_worker_next(w.w, 1, -1, &batch, &cerr)
		if st == C.ZIZQ_E_CLOSED {
			if cerr != nil {
				C.zizq_error_free(cerr)
			}
			return nil
		}
		if st != C.ZIZQ_OK {
			return newError("Run", st, cerr)
		}
		if batch == nil {
			continue
		}
		jobs, err := batchJobs(batch)
		if err != nil {
			return err
		}
		for _, job := range jobs {
			w.resolve(job, w.invoke(ctx, handler, job))
		}
	}
}

// invoke runs the handler; a panic becomes a failure with the stack.
func (w *Worker) invoke(ctx context.Context, handler Handler, job *Job) (failure *Failure) {
	defer func() {
		if r := recover(); r != nil {
			failure = &Failure{Message: fmt.Sprintf("panic: %v", r), ErrorType: "panic",
				Backtrace: string(debug.Stack())}
		}
	}()
	err := handler(ctx, job)
	if err == nil {
		return nil
	}
	f := &Failure{Message: err.Error(), ErrorType: fmt.Sprintf("%T", err)}
	var retry *RetryError
	var kill *KillError
	switch {
	case errors.As(err, &kill):
		f.Kill = true
		if kill.Err != nil {
			f.Message, f.ErrorType = kill.Err.Error(), fmt.Sprintf("%T", kill.Err)
		}
	case errors.As(err, &retry):
		f.RetryAt = retry.At
		if retry.Err != nil {
			f.Message, f.ErrorType = retry.Err.Error(), fmt.Sprintf("%T", retry.Err)
		}
	}
	return f
}

// resolve queues the job's ack or nack (the core sends it). An outcome
// refused because the worker already shut down is dropped: the server
// requeues the job.
func (w *Worker) resolve(job *Job, failure *Failure) {
	id, err := cString("Run", "id", job.ID)
	if err != nil {
		return // an id C cannot carry: the job is requeued when the stream closes
	}
	defer freeCString(id)
	var cerr *C.zizq_error
	var st C.enum_zizq_status
	if failure == nil {
		st = C.zizq_worker_ack(w.w, id, &cerr)
	} else {
		var doc []byte
		doc, err = w.client.encode(failure.doc())
		if err != nil {
			doc, _ = w.client.encode(map[string]any{"message": "unencodable failure"})
		}
		st = C.zizq_worker_nack(w.w, id, bytesPtr(doc), C.size_t(len(doc)), &cerr)
	}
	if cerr != nil {
		C.zizq_error_free(cerr)
	}
	_ = st
}

// Shutdown stops the worker in the safe order, waiting up to timeout (0
// = the ShutdownTimeout option): stop taking, let running handlers
// finish, deliver every queued ack and nack, close the stream. It returns
// ErrTimeout (an *Error) if something was left undone (see Stats); the
// handlers' context is then cancelled. Idempotent; any goroutine but a
// handler.
func (w *Worker) Shutdown(timeout time.Duration) error {
	if w == nil {
		return nilReceiver("Shutdown", "*Worker")
	}
	w.mu.Lock()
	w.stopped = true
	h := w.w
	hcancel := w.hcancel
	w.mu.Unlock()
	if h == nil {
		return nil
	}
	w.shutOnce.Do(func() {
		ms := C.int64_t(-1)
		if timeout > 0 {
			ms = C.int64_t(timeout.Milliseconds())
		}
		var cerr *C.zizq_error
		if st := C.zizq_worker_shutdown(h, ms, &cerr); st != C.ZIZQ_OK {
			w.shutErr = newError("Shutdown", st, cerr)
			if hcancel != nil {
				hcancel()
			}
		}
	})
	runtime.KeepAlive(w)
	return w.shutErr
}

// WorkerStats are the core worker's counters.
type WorkerStats struct {
	State        string `json:"state"` // running, stopping, stopped, failed ("" before Run)
	Taken        int64  `json:"taken"`
	HandedOut    int64  `json:"handed_out"`
	Acked        int64  `json:"acked"`
	Nacked       int64  `json:"nacked"`
	InFlight     int64  `json:"in_flight"`
	Buffered     int64  `json:"buffered"`
	Outstanding  int64  `json:"outstanding"`
	PendingAcks  int64  `json:"pending_acks"`
	Stale        int64  `json:"stale"`
	Dropped      int64  `json:"dropped"`
	Discarded    int64  `json:"discarded"`
	Connects     int64  `json:"connects"`
	Reconnects   int64  `json:"reconnects"`
	AckRequests  int64  `json:"ack_requests"`
	NackRequests int64  `json:"nack_requests"`
	// ConnectFailures counts failed take-stream attempts; Probes the
	// health requests sent while waiting to reconnect.
	ConnectFailures int64  `json:"connect_failures"`
	Probes          int64  `json:"probes"`
	LastError       string `json:"last_error"`
}

// Stats returns the worker's counters.
func (w *Worker) Stats() (WorkerStats, error) {
	var stats WorkerStats
	if w == nil {
		return stats, nilReceiver("Stats", "*Worker")
	}
	j, err := w.statsJSON()
	if err != nil || j == nil {
		return stats, err
	}
	if err := json.Unmarshal(j, &stats); err != nil {
		return stats, goError("Stats", StatusDecode, "%v", err)
	}
	return stats, nil
}

// statsJSON is the core's stats document as JSON (nil before Run).
func (w *Worker) statsJSON() ([]byte, error) {
	w.mu.Lock()
	h := w.w
	w.mu.Unlock()
	if h == nil {
		return nil, nil
	}
	var buf C.zizq_buf
	var cerr *C.zizq_error
	if st := C.zizq_worker_stats(h, &buf, &cerr); st != C.ZIZQ_OK {
		return nil, newError("Stats", st, cerr)
	}
	defer runtime.KeepAlive(w)
	return takeBuf(&buf), nil
}
