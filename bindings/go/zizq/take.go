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
	"runtime"
	"sync"
	"unsafe"
)

// Unlimited is the Prefetch value that lets the server send any number of
// unacknowledged jobs.
const Unlimited = -1

// TakeOptions open a take stream. Prefetch is how many unacknowledged jobs
// the server may send (0 = the seed's default, 1; Unlimited = no limit);
// Queues nil or empty = every queue.
type TakeOptions struct {
	Prefetch int
	Queues   []string
	WorkerID string
	// OnConnect, if set, is called by TakeJobsFunc once the server has
	// accepted the stream.
	OnConnect func()
}

func (o TakeOptions) doc() map[string]any {
	m := map[string]any{}
	switch {
	case o.Prefetch == Unlimited:
		m["prefetch"] = 0
	case o.Prefetch > 0:
		m["prefetch"] = o.Prefetch
	}
	if len(o.Queues) > 0 {
		m["queues"] = o.Queues
	}
	if o.WorkerID != "" {
		m["worker_id"] = o.WorkerID
	}
	return m
}

// TakeStream is an open GET /jobs/take stream (the pull API). One
// goroutine at a time reads it with Next / NextBatch; Close works from any
// goroutine. Jobs must be acknowledged (Client.Ack) or failed
// (Client.Nack); those still unresolved when the stream closes go back to
// their queue.
type TakeStream struct {
	client  *Client
	mu      sync.Mutex          // held by readers and by the final free
	s       *C.zizq_take_stream // nil once freed
	h       *C.zizq_take_stream // the handle, for Close
	once    sync.Once
	pending []*Job
}

// TakeJobs opens a take stream; it returns once the server accepted it
// (a refusal is ErrStream with the HTTP status).
func (c *Client) TakeJobs(ctx context.Context, opts TakeOptions) (*TakeStream, error) {
	doc, err := c.withDoc("TakeJobs", opts.doc())
	if err != nil {
		return nil, err
	}
	var s *C.zizq_take_stream
	err = c.call(ctx, "TakeJobs", func(h *C.zizq_client, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_take_open(h, bytesPtr(doc), C.size_t(len(doc)), &s, cerr)
	})
	if err != nil {
		return nil, err
	}
	ts := &TakeStream{client: c, s: s, h: s}
	runtime.SetFinalizer(ts, func(ts *TakeStream) { ts.free() })
	return ts, nil
}

// Next returns the next job, waiting until one arrives, ctx is done (its
// error, wrapped), or the stream ends: ErrStreamEnded when the server
// ended it, ErrClosed after Close, ErrTimeout when it stayed silent longer
// than the stream idle timeout, ErrStream / ErrConnection when it failed.
func (t *TakeStream) Next(ctx context.Context) (*Job, error) {
	if t == nil {
		return nil, nilReceiver("Next", "*TakeStream")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.pending) == 0 {
		jobs, err := t.next(ctx, 0)
		if err != nil {
			return nil, err
		}
		t.pending = jobs
	}
	job := t.pending[0]
	t.pending[0] = nil
	t.pending = t.pending[1:]
	return job, nil
}

// NextBatch returns the jobs that arrived (at least one, at most max; 0 =
// all buffered), waiting like Next.
func (t *TakeStream) NextBatch(ctx context.Context, max int) ([]*Job, error) {
	if t == nil {
		return nil, nilReceiver("NextBatch", "*TakeStream")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.pending) > 0 {
		n := len(t.pending)
		if max > 0 && max < n {
			n = max
		}
		jobs := append([]*Job(nil), t.pending[:n]...)
		t.pending = t.pending[n:]
		return jobs, nil
	}
	return t.next(ctx, max)
}

// next waits for a batch; t.mu is held.
func (t *TakeStream) next(ctx context.Context, max int) ([]*Job, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	for {
		if t.s == nil {
			return nil, goError("Next", StatusClosed, "the take stream was closed")
		}
		if err := ctx.Err(); err != nil {
			return nil, contextError("Next", err)
		}
		s := t.s
		var stop func() bool
		woken := make(chan struct{})
		if ctx.Done() != nil {
			stop = context.AfterFunc(ctx, func() {
				C.zizq_take_wakeup(s)
				close(woken)
			})
		}
		var batch *C.zizq_batch
		var cerr *C.zizq_error
		st := C.zizq_take_next(s, C.size_t(max), -1, &batch, &cerr)
		if stop != nil && !stop() {
			<-woken
		}
		if st != C.ZIZQ_OK {
			return nil, newError("Next", st, cerr)
		}
		if batch == nil {
			continue // woken: the loop checks ctx (a stale wakeup just waits again)
		}
		jobs, err := batchJobs(batch)
		if err != nil || len(jobs) > 0 {
			return jobs, err
		}
	}
}

// batchJobs decodes and releases a batch.
func batchJobs(batch *C.zizq_batch) ([]*Job, error) {
	defer C.zizq_batch_free(batch)
	n := int(C.zizq_batch_len(batch))
	if n == 0 {
		return nil, nil
	}
	items := unsafe.Slice(C.zizq_batch_jobs(batch), n)
	jobs := make([]*Job, 0, n)
	for i := range items {
		j := unsafe.Slice((*byte)(unsafe.Pointer(items[i].doc)), int(items[i].doc_len))
		job := &Job{}
		if err := json.Unmarshal(j, job); err != nil {
			return nil, goError("Next", StatusDecode, "job document: %v", err)
		}
		jobs = append(jobs, job)
	}
	return jobs, nil
}

// Close closes the stream: its connection is dropped (the server requeues
// unacknowledged jobs) and a waiting Next returns ErrClosed. Any
// goroutine; idempotent.
func (t *TakeStream) Close() error {
	if t == nil {
		return nilReceiver("Close", "*TakeStream")
	}
	// Closing first wakes a reader holding t.mu; then free under t.mu.
	t.once.Do(func() {
		C.zizq_take_close(t.h)
		t.free()
	})
	return nil
}

func (t *TakeStream) free() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.s != nil {
		C.zizq_take_free(t.s)
		t.s = nil
	}
}

// ErrStopTaking may be returned by a TakeJobsFunc callback to end the loop
// without an error.
var ErrStopTaking = errors.New("zizq: stop taking")

// TakeJobsFunc is the seed's take_jobs: it opens a stream, calls fn for
// each job on this goroutine, and returns nil when fn returns
// ErrStopTaking or the server ends the stream; otherwise fn's error, the
// stream's error, or ctx's error (wrapped). The stream is closed on
// return, so unacknowledged jobs go back to their queue.
func (c *Client) TakeJobsFunc(ctx context.Context, opts TakeOptions, fn func(ctx context.Context, job *Job) error) error {
	stream, err := c.TakeJobs(ctx, opts)
	if err != nil {
		return err
	}
	defer stream.Close()
	if opts.OnConnect != nil {
		opts.OnConnect()
	}
	for {
		job, err := stream.Next(ctx)
		if errors.Is(err, ErrStreamEnded) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(ctx, job); err != nil {
			if errors.Is(err, ErrStopTaking) {
				return nil
			}
			return err
		}
	}
}
