package zizq

import (
	"errors"
	"testing"
	"time"
)

// Errors tell "nothing was acted on: safe to retry" (ErrRetryable) from
// "sent, outcome unknown" (ErrOutcomeUnknown).
func TestRetrySafety(t *testing.T) {
	eachFormat(t, func(t *testing.T, c *Client) {
		ctx := ctxT(t)
		job := EnqueueRequest{Type: "t", Queue: "q", Payload: 1}
		// Nobody listens on port 1: the enqueue never reached a server.
		dead := must(NewClient("http://127.0.0.1:1", WithFormat(c.Format()), WithConnectTimeout(2*time.Second)))(t)
		defer dead.Close()
		_, err := dead.Enqueue(ctx, job)
		var zerr *Error
		if !errors.As(err, &zerr) || !errors.Is(err, ErrConnection) || !zerr.Retryable() || zerr.OutcomeUnknown() ||
			!errors.Is(err, ErrRetryable) || errors.Is(err, ErrOutcomeUnknown) {
			t.Fatalf("refused connection: %v", err)
		}
		// An answer says what happened.
		_, err = c.GetJob(ctx, "0000000000000000000000000")
		if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrRetryable) || errors.Is(err, ErrOutcomeUnknown) {
			t.Fatalf("404: %v", err)
		}
		if !server.own {
			return
		}
		short := newClient(t, c.Format(), WithReadTimeout(300*time.Millisecond))
		must(short.Health(ctx))(t)
		// The server reads the request and never answers: the job may or
		// may not exist, and a repeat could enqueue it twice.
		faults(t, map[string]any{"blackhole": 1})
		_, err = short.Enqueue(ctx, job)
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrRetryable) {
			t.Fatalf("unanswered enqueue: %v", err)
		}
		// A read is as unknown, but safe to repeat.
		faults(t, map[string]any{"blackhole": 1})
		_, err = short.GetJob(ctx, "0000000000000000000000000")
		if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrRetryable) {
			t.Fatalf("unanswered read: %v", err)
		}
		must(short.Health(ctx))(t)
		// The property sentinels name what they match.
		if ErrRetryable.Error() != "zizq: retryable" || ErrOutcomeUnknown.Error() != "zizq: outcome unknown" {
			t.Fatal(ErrRetryable, ErrOutcomeUnknown)
		}
	})
}
