package zizq

import (
	"context"
	"errors"
	"testing"
)

// callsWithName calls every method taking a job id, a cron group or entry
// name, or a path, with s in that place.
func callsWithName(c *Client, s string) map[string]func(ctx context.Context) error {
	job := EnqueueRequest{Type: "t", Queue: "q", Payload: 1}
	entry := CronEntryRequest{Name: "e", Expression: "* * * * *", Job: job}
	errOf := func(_ any, err error) error { return err }
	return map[string]func(ctx context.Context) error{
		"GetJob": func(ctx context.Context) error { return errOf(c.GetJob(ctx, s)) },
		"UpdateJob": func(ctx context.Context) error {
			return errOf(c.UpdateJob(ctx, s, JobUpdate{Priority: Set[uint16](1)}))
		},
		"DeleteJob": func(ctx context.Context) error { return c.DeleteJob(ctx, s) },
		"ReportSuccess": func(ctx context.Context) error {
			return c.ReportSuccess(ctx, s)
		},
		"ReportFailure": func(ctx context.Context) error {
			return errOf(c.ReportFailure(ctx, s, Failure{Message: "m"}))
		},
		"ListErrors":   func(ctx context.Context) error { return errOf(c.ListErrors(ctx, s, ListErrorsOptions{})) },
		"GetError":     func(ctx context.Context) error { return errOf(c.GetError(ctx, s, 1)) },
		"GetPath":      func(ctx context.Context) error { return errOf(c.GetPath(ctx, s)) },
		"GetCronGroup": func(ctx context.Context) error { return errOf(c.GetCronGroup(ctx, s)) },
		"UpdateCronGroup": func(ctx context.Context) error {
			return errOf(c.UpdateCronGroup(ctx, s, true))
		},
		"ReplaceCronGroup": func(ctx context.Context) error {
			return errOf(c.ReplaceCronGroup(ctx, s, nil, nil))
		},
		"DeleteCronGroup": func(ctx context.Context) error { return c.DeleteCronGroup(ctx, s) },
		"AddCronGroupEntry": func(ctx context.Context) error {
			return errOf(c.AddCronGroupEntry(ctx, s, entry))
		},
		"GetCronGroupEntry(group)": func(ctx context.Context) error {
			return errOf(c.GetCronGroupEntry(ctx, s, "e"))
		},
		"GetCronGroupEntry(entry)": func(ctx context.Context) error {
			return errOf(c.GetCronGroupEntry(ctx, "g", s))
		},
		"ReplaceCronGroupEntry(group)": func(ctx context.Context) error {
			return errOf(c.ReplaceCronGroupEntry(ctx, s, "e", entry))
		},
		"ReplaceCronGroupEntry(entry)": func(ctx context.Context) error {
			return errOf(c.ReplaceCronGroupEntry(ctx, "g", s, entry))
		},
		"UpdateCronGroupEntry(group)": func(ctx context.Context) error {
			return errOf(c.UpdateCronGroupEntry(ctx, s, "e", true))
		},
		"UpdateCronGroupEntry(entry)": func(ctx context.Context) error {
			return errOf(c.UpdateCronGroupEntry(ctx, "g", s, true))
		},
		"DeleteCronGroupEntry(group)": func(ctx context.Context) error {
			return c.DeleteCronGroupEntry(ctx, s, "e")
		},
		"DeleteCronGroupEntry(entry)": func(ctx context.Context) error {
			return c.DeleteCronGroupEntry(ctx, "g", s)
		},
		"Request(method)": func(ctx context.Context) error {
			_, _, err := c.Request(ctx, s, "/health", nil)
			return err
		},
		"Request(path)": func(ctx context.Context) error {
			_, _, err := c.Request(ctx, "GET", s, nil)
			return err
		},
	}
}

// A NUL byte would cut the C string (an id "a\x00b" would address job
// "a"); an empty id would address /jobs/; invalid UTF-8 cannot be sent.
// All are refused with ErrInvalidArgument before any request.
func TestBadStringsAreRefusedBeforeAnyRequest(t *testing.T) {
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		for _, s := range []string{"id\x00tail", "\x00", "", "\xff\xfe"} {
			for name, call := range callsWithName(c, s) {
				before := 0
				if server.own {
					before = state(t).Requests
				}
				err := call(ctx)
				if !errors.Is(err, ErrInvalidArgument) {
					t.Errorf("%s(%q): %v, want ErrInvalidArgument", name, s, err)
				}
				if server.own && state(t).Requests != before {
					t.Errorf("%s(%q) made a request", name, s)
				}
			}
		}
		if _, err := NewClient(server.url + "\x00/ignored"); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("NewClient with a NUL: %v", err)
		}
	})
}

// Methods called on a nil pointer (a constructor's error ignored) return
// an error matching ErrInvalidArgument rather than panicking.
func TestNilReceiversReturnErrors(t *testing.T) {
	ctx := ctxT(t)
	var c *Client
	for name, call := range callsWithName(c, "an-id") {
		if err := call(ctx); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("nil client %s: %v", name, err)
		}
	}
	checks := map[string]error{
		"Enqueue":      func() error { _, err := c.Enqueue(ctx, EnqueueRequest{Type: "t", Queue: "q"}); return err }(),
		"ListJobs":     func() error { _, err := c.ListJobs(ctx, ListJobsOptions{}); return err }(),
		"Health":       func() error { _, err := c.Health(ctx); return err }(),
		"TakeJobs":     func() error { _, err := c.TakeJobs(ctx, TakeOptions{}); return err }(),
		"Close":        c.Close(),
		"Worker.Run":   (*Worker)(nil).Run(ctx, 1, func(context.Context, *Job) error { return nil }),
		"Worker.Stop":  (*Worker)(nil).Shutdown(0),
		"Worker.Stats": func() error { _, err := (*Worker)(nil).Stats(); return err }(),
		"Stream.Next":  func() error { _, err := (*TakeStream)(nil).Next(ctx); return err }(),
		"Stream.Batch": func() error { _, err := (*TakeStream)(nil).NextBatch(ctx, 0); return err }(),
		"Stream.Close": (*TakeStream)(nil).Close(),
		"NewWorker":    func() error { _, err := NewWorker(nil, WorkerOptions{}); return err }(),
	}
	for name, err := range checks {
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	c.CloseStreams() // nothing to close: no panic
	// A worker made without NewWorker has no client: an error too.
	if err := (&Worker{}).Run(ctx, 1, func(context.Context, *Job) error { return nil }); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("zero Worker: %v", err)
	}
}
