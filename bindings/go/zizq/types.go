package zizq

import (
	"context"
	"encoding/json"
	"time"
)

// Millis is a time as the server and libzizq carry it: integer
// milliseconds since the Unix epoch. 0 means "not set".
type Millis int64

// Time converts to a time.Time (the zero Time for 0).
func (m Millis) Time() time.Time {
	if m == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(m))
}

// MillisOf converts a time.Time (0 for the zero Time).
func MillisOf(t time.Time) Millis {
	if t.IsZero() {
		return 0
	}
	return Millis(t.UnixMilli())
}

// Ptr returns a pointer to v, for the optional fields of requests
// (Priority: zizq.Ptr[uint16](1)).
func Ptr[T any](v T) *T { return &v }

// Backoff is a job's retry backoff (the server's formula uses the
// exponent, base and jitter; durations in milliseconds).
type Backoff struct {
	Exponent float64 `json:"exponent"`
	BaseMs   int64   `json:"base_ms"`
	JitterMs int64   `json:"jitter_ms"`
}

// Retention is how long completed / dead jobs are kept (nil: the server's
// default; 0: deleted at once).
type Retention struct {
	CompletedMs *int64 `json:"completed_ms,omitempty"`
	DeadMs      *int64 `json:"dead_ms,omitempty"`
}

// Batch folds jobs with the same key into one pending job (Pro).
type Batch struct {
	Key  string `json:"key"`
	When string `json:"when"`
	Fold string `json:"fold"`
}

// Unique-while values of EnqueueRequest.UniqueWhile.
const (
	UniqueWhileQueued = "queued"
	UniqueWhileActive = "active"
	UniqueWhileExists = "exists"
)

// EnqueueRequest is a job to enqueue (Enqueue, EnqueueBulk), and the job
// template of a cron entry. Type, Queue and Payload are required (a nil
// Payload is sent as null); the other fields are left out when zero/nil.
type EnqueueRequest struct {
	Type        string     `json:"type"`
	Queue       string     `json:"queue"`
	Priority    *uint16    `json:"priority,omitempty"` // lower runs first; default 32768
	Payload     any        `json:"payload"`
	ReadyAt     Millis     `json:"ready_at,omitempty"` // not for cron templates
	RetryLimit  *uint32    `json:"retry_limit,omitempty"`
	Backoff     *Backoff   `json:"backoff,omitempty"`
	Retention   *Retention `json:"retention,omitempty"`
	UniqueKey   string     `json:"unique_key,omitempty"`   // Pro
	UniqueWhile string     `json:"unique_while,omitempty"` // with UniqueKey
	Batch       *Batch     `json:"batch,omitempty"`        // Pro
}

// JobState is where a job is in its life: the `status` of a job document
// (Job.Status) and what JobFilter.Status selects. It is not a libzizq
// Status, which is the outcome of a call.
type JobState string

// The states of a job.
const (
	JobScheduled JobState = "scheduled" // waiting for its ReadyAt (or its retry time)
	JobReady     JobState = "ready"     // can be taken
	JobInFlight  JobState = "in_flight" // taken, not yet acked or nacked
	JobCompleted JobState = "completed" // acked
	JobDead      JobState = "dead"      // retries exhausted, or killed
)

// Job is the server's job document. Payload is present only where the
// server sends it (GetJob, ListJobs, take streams), as raw JSON.
type Job struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Queue       string          `json:"queue"`
	Priority    uint16          `json:"priority"`
	Status      JobState        `json:"status"`
	Payload     json.RawMessage `json:"payload,omitempty"`
	ReadyAt     Millis          `json:"ready_at"`
	Attempts    uint32          `json:"attempts"`
	RetryLimit  *uint32         `json:"retry_limit,omitempty"`
	Backoff     *Backoff        `json:"backoff,omitempty"`
	DequeuedAt  Millis          `json:"dequeued_at,omitempty"`
	FailedAt    Millis          `json:"failed_at,omitempty"`
	Retention   *Retention      `json:"retention,omitempty"`
	PurgeAt     Millis          `json:"purge_at,omitempty"`
	CompletedAt Millis          `json:"completed_at,omitempty"`
	UniqueKey   string          `json:"unique_key,omitempty"`
	UniqueWhile string          `json:"unique_while,omitempty"`
	Duplicate   bool            `json:"duplicate,omitempty"` // enqueue: an existing unique job
	Folded      bool            `json:"folded,omitempty"`    // enqueue: folded into a batch job
	Batch       *Batch          `json:"batch,omitempty"`
}

// DecodePayload unmarshals the payload into v.
func (j *Job) DecodePayload(v any) error {
	if len(j.Payload) == 0 {
		return json.Unmarshal([]byte("null"), v)
	}
	return json.Unmarshal(j.Payload, v)
}

// Pages are the links of a paginated answer (nil: no such page).
type Pages struct {
	Self *string `json:"self"`
	Next *string `json:"next"`
	Prev *string `json:"prev"`
}

// JobPage is one page of ListJobs.
type JobPage struct {
	Jobs   []*Job `json:"jobs"`
	Pages  Pages  `json:"pages"`
	client *Client
}

// HasNext / HasPrev tell whether the server linked another page.
func (p *JobPage) HasNext() bool { return p.Pages.Next != nil }
func (p *JobPage) HasPrev() bool { return p.Pages.Prev != nil }

// NextPage fetches the next page (GetPath on pages.next); nil, nil on the
// last page.
func (p *JobPage) NextPage(ctx context.Context) (*JobPage, error) {
	return p.follow(ctx, p.Pages.Next)
}

// PrevPage fetches the previous page, whose jobs come nearest first (the
// server reverses the order); nil, nil on the first page.
func (p *JobPage) PrevPage(ctx context.Context) (*JobPage, error) {
	return p.follow(ctx, p.Pages.Prev)
}

func (p *JobPage) follow(ctx context.Context, link *string) (*JobPage, error) {
	if link == nil {
		return nil, nil
	}
	page := &JobPage{client: p.client}
	if err := p.client.getPathInto(ctx, "GetPath", *link, page); err != nil {
		return nil, err
	}
	return page, nil
}

// ErrorRecord is one recorded failure of a job.
type ErrorRecord struct {
	Attempt    uint32 `json:"attempt"`
	Message    string `json:"message"`
	ErrorType  string `json:"error_type,omitempty"`
	Backtrace  string `json:"backtrace,omitempty"`
	DequeuedAt Millis `json:"dequeued_at"`
	FailedAt   Millis `json:"failed_at"`
}

// ErrorPage is one page of ListErrors.
type ErrorPage struct {
	Errors []*ErrorRecord `json:"errors"`
	Pages  Pages          `json:"pages"`
	client *Client
}

// HasNext / HasPrev tell whether the server linked another page.
func (p *ErrorPage) HasNext() bool { return p.Pages.Next != nil }
func (p *ErrorPage) HasPrev() bool { return p.Pages.Prev != nil }

// NextPage fetches the next page; nil, nil on the last one.
func (p *ErrorPage) NextPage(ctx context.Context) (*ErrorPage, error) {
	return p.follow(ctx, p.Pages.Next)
}

// PrevPage fetches the previous page (nearest first); nil, nil on the first.
func (p *ErrorPage) PrevPage(ctx context.Context) (*ErrorPage, error) {
	return p.follow(ctx, p.Pages.Prev)
}

func (p *ErrorPage) follow(ctx context.Context, link *string) (*ErrorPage, error) {
	if link == nil {
		return nil, nil
	}
	page := &ErrorPage{client: p.client}
	if err := p.client.getPathInto(ctx, "GetPath", *link, page); err != nil {
		return nil, err
	}
	return page, nil
}

// CronEntry is one entry of a cron group: an expression and the job it
// enqueues.
type CronEntry struct {
	Name          string         `json:"name"`
	Expression    string         `json:"expression"`
	Timezone      string         `json:"timezone,omitempty"`
	Paused        bool           `json:"paused"`
	PausedAt      Millis         `json:"paused_at,omitempty"`
	ResumedAt     Millis         `json:"resumed_at,omitempty"`
	Job           EnqueueRequest `json:"job"`
	NextEnqueueAt Millis         `json:"next_enqueue_at,omitempty"`
	LastEnqueueAt Millis         `json:"last_enqueue_at,omitempty"`
}

// CronGroup is a named group of cron entries.
type CronGroup struct {
	Name      string       `json:"name"`
	Paused    bool         `json:"paused"`
	PausedAt  Millis       `json:"paused_at,omitempty"`
	ResumedAt Millis       `json:"resumed_at,omitempty"`
	Entries   []*CronEntry `json:"entries"`
}
