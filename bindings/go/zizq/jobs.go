package zizq

/*
#include <stdlib.h>
#include "zizq.h"
*/
import "C"

import (
	"context"
	"encoding/json"
)

// Enqueue enqueues one job and returns it as the server created it
// (without payload). A unique duplicate (HTTP 200) returns the existing
// job with Duplicate set; a job folded into a batch has Folded set.
func (c *Client) Enqueue(ctx context.Context, job EnqueueRequest) (*Job, error) {
	doc, err := c.withDoc("Enqueue", job)
	if err != nil {
		return nil, err
	}
	out := &Job{}
	err = c.fetchDoc(ctx, "Enqueue", out, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_enqueue(h, bytesPtr(doc), C.size_t(len(doc)), buf, cerr)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EnqueueBulk enqueues jobs atomically; the results are in input order.
func (c *Client) EnqueueBulk(ctx context.Context, jobs []EnqueueRequest) ([]*Job, error) {
	if jobs == nil {
		jobs = []EnqueueRequest{}
	}
	doc, err := c.withDoc("EnqueueBulk", map[string]any{"jobs": jobs})
	if err != nil {
		return nil, err
	}
	var out struct {
		Jobs []*Job `json:"jobs"`
	}
	err = c.fetchDoc(ctx, "EnqueueBulk", &out, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_enqueue_bulk(h, bytesPtr(doc), C.size_t(len(doc)), buf, cerr)
	})
	if err != nil {
		return nil, err
	}
	return out.Jobs, nil
}

// GetJob fetches one job with its payload; ErrNotFound for an unknown id.
func (c *Client) GetJob(ctx context.Context, id string) (*Job, error) {
	cid, err := cString("GetJob", "id", id)
	if err != nil {
		return nil, err
	}
	defer freeCString(cid)
	out := &Job{}
	err = c.fetchDoc(ctx, "GetJob", out, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_get_job(h, cid, buf, cerr)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// JobFilter selects jobs (ListJobs, CountJobs, DeleteAllJobs,
// UpdateAllJobs). A nil slice is no filter; a non-nil empty slice
// (e.g. Queue: []string{}) matches nothing, and the call then makes no
// request. Ranges are "n", "lo..hi", "lo.." or "..hi" (ReadyAt in
// milliseconds). Filter is a jq expression on the payload.
type JobFilter struct {
	ID       []string
	Status   []JobState
	Queue    []string
	Type     []string
	Priority string
	ReadyAt  string
	Attempts string
	Filter   string
}

func (f JobFilter) doc() map[string]any {
	m := map[string]any{}
	for key, values := range map[string][]string{"id": f.ID, "queue": f.Queue, "type": f.Type} {
		if values != nil {
			m[key] = values
		}
	}
	if f.Status != nil {
		m["status"] = f.Status
	}
	for key, value := range map[string]string{"priority": f.Priority, "ready_at": f.ReadyAt,
		"attempts": f.Attempts, "filter": f.Filter} {
		if value != "" {
			m[key] = value
		}
	}
	return m
}

// Orders of ListJobs and ListErrors.
const (
	OrderAsc  = "asc"
	OrderDesc = "desc"
)

// ListJobsOptions are the filters of ListJobs plus pagination: From (a
// job id cursor, exclusive), Order (OrderAsc / OrderDesc) and Limit
// (1..2000; 0 = the server's default).
type ListJobsOptions struct {
	JobFilter
	From  string
	Order string
	Limit int
}

// ListJobs lists jobs, one page at a time; follow JobPage.NextPage.
func (c *Client) ListJobs(ctx context.Context, opts ListJobsOptions) (*JobPage, error) {
	m := opts.JobFilter.doc()
	if opts.From != "" {
		m["from"] = opts.From
	}
	if opts.Order != "" {
		m["order"] = opts.Order
	}
	if opts.Limit != 0 {
		m["limit"] = opts.Limit
	}
	doc, err := c.withDoc("ListJobs", m)
	if err != nil {
		return nil, err
	}
	page := &JobPage{client: c}
	err = c.fetchDoc(ctx, "ListJobs", page, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_list_jobs(h, bytesPtr(doc), C.size_t(len(doc)), buf, cerr)
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// countCall runs a call answering an int64.
func (c *Client) countCall(ctx context.Context, op string, doc []byte,
	fn func(h *C.zizq_client, doc *C.uint8_t, n C.size_t, out *C.int64_t, cerr **C.zizq_error) C.enum_zizq_status) (int64, error) {
	var out C.int64_t
	err := c.call(ctx, op, func(h *C.zizq_client, cerr **C.zizq_error) C.enum_zizq_status {
		return fn(h, bytesPtr(doc), C.size_t(len(doc)), &out, cerr)
	})
	return int64(out), err
}

// CountJobs counts the jobs matching the filter.
func (c *Client) CountJobs(ctx context.Context, filter JobFilter) (int64, error) {
	doc, err := c.withDoc("CountJobs", filter.doc())
	if err != nil {
		return 0, err
	}
	return c.countCall(ctx, "CountJobs", doc, func(h *C.zizq_client, d *C.uint8_t, n C.size_t, out *C.int64_t, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_count_jobs(h, d, n, out, cerr)
	})
}

// Field is one field of a JobUpdate. The zero value leaves the field
// unchanged; Set(v) sets it; Reset[T]() restores the server's default
// (not allowed for Queue and Priority).
type Field[T any] struct {
	state uint8 // 0 unchanged, 1 set, 2 reset
	value T
}

// Set returns a Field that sets the value.
func Set[T any](v T) Field[T] { return Field[T]{state: 1, value: v} }

// Reset returns a Field that resets the value to the server's default.
func Reset[T any]() Field[T] { return Field[T]{state: 2} }

// Unchanged returns a Field that leaves the value alone (the zero Field).
func Unchanged[T any]() Field[T] { return Field[T]{} }

// IsSet / IsReset / IsUnchanged report what the field does.
func (f Field[T]) IsSet() bool       { return f.state == 1 }
func (f Field[T]) IsReset() bool     { return f.state == 2 }
func (f Field[T]) IsUnchanged() bool { return f.state == 0 }

// Value is the value a Set field carries.
func (f Field[T]) Value() T { return f.value }

func (f Field[T]) put(m map[string]any, key string) {
	switch f.state {
	case 1:
		m[key] = f.value
	case 2:
		m[key] = nil
	}
}

// JobUpdate are the mutable fields of a job (UpdateJob, UpdateAllJobs).
type JobUpdate struct {
	Queue      Field[string]
	Priority   Field[uint16]
	ReadyAt    Field[Millis]
	RetryLimit Field[uint32]
	Backoff    Field[Backoff]
	Retention  Field[Retention]
}

func (u JobUpdate) doc() map[string]any {
	m := map[string]any{}
	u.Queue.put(m, "queue")
	u.Priority.put(m, "priority")
	u.ReadyAt.put(m, "ready_at")
	u.RetryLimit.put(m, "retry_limit")
	u.Backoff.put(m, "backoff")
	u.Retention.put(m, "retention")
	return m
}

// UpdateJob updates a job's fields and returns the job. ErrNotFound for an
// unknown id; ErrClient (422) for a job in a terminal state;
// ErrInvalidArgument for a reset Queue or Priority.
func (c *Client) UpdateJob(ctx context.Context, id string, update JobUpdate) (*Job, error) {
	doc, err := c.withDoc("UpdateJob", update.doc())
	if err != nil {
		return nil, err
	}
	cid, err := cString("UpdateJob", "id", id)
	if err != nil {
		return nil, err
	}
	defer freeCString(cid)
	out := &Job{}
	err = c.fetchDoc(ctx, "UpdateJob", out, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_update_job(h, cid, bytesPtr(doc), C.size_t(len(doc)), buf, cerr)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateAllJobs applies the update to every job matching where and returns
// how many were updated. Terminal jobs are skipped unless where names
// their status (then the server answers 422).
func (c *Client) UpdateAllJobs(ctx context.Context, where JobFilter, apply JobUpdate) (int64, error) {
	doc, err := c.withDoc("UpdateAllJobs", map[string]any{"where": where.doc(), "apply": apply.doc()})
	if err != nil {
		return 0, err
	}
	return c.countCall(ctx, "UpdateAllJobs", doc, func(h *C.zizq_client, d *C.uint8_t, n C.size_t, out *C.int64_t, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_update_all_jobs(h, d, n, out, cerr)
	})
}

// DeleteJob deletes one job, whatever its status.
func (c *Client) DeleteJob(ctx context.Context, id string) error {
	cid, err := cString("DeleteJob", "id", id)
	if err != nil {
		return err
	}
	defer freeCString(cid)
	return c.call(ctx, "DeleteJob", func(h *C.zizq_client, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_delete_job(h, cid, cerr)
	})
}

// DeleteAllJobs deletes the jobs matching where (the zero JobFilter: every
// job) and returns how many were deleted.
func (c *Client) DeleteAllJobs(ctx context.Context, where JobFilter) (int64, error) {
	doc, err := c.withDoc("DeleteAllJobs", map[string]any{"where": where.doc()})
	if err != nil {
		return 0, err
	}
	return c.countCall(ctx, "DeleteAllJobs", doc, func(h *C.zizq_client, d *C.uint8_t, n C.size_t, out *C.int64_t, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_delete_all_jobs(h, d, n, out, cerr)
	})
}

// EraseAllData deletes every job and cron group on the server.
func (c *Client) EraseAllData(ctx context.Context) error {
	return c.call(ctx, "EraseAllData", func(h *C.zizq_client, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_erase_all_data(h, cerr)
	})
}

// GetPath GETs a server path, typically a pages.next / pages.prev link,
// and returns the document as JSON. A URL of another server is refused.
func (c *Client) GetPath(ctx context.Context, path string) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.getPathInto(ctx, "GetPath", path, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

func (c *Client) getPathInto(ctx context.Context, op, path string, out any) error {
	cpath, err := cString(op, "path", path)
	if err != nil {
		return err
	}
	defer freeCString(cpath)
	return c.fetchDoc(ctx, op, out, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_get_path(h, cpath, buf, cerr)
	})
}
