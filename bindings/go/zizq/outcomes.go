package zizq

/*
#include <stdlib.h>
#include "zizq.h"
*/
import "C"

import (
	"context"
	"time"
)

// ReportSuccess acknowledges an in-flight job (marks it completed).
// ErrNotFound when the job is not in flight.
func (c *Client) ReportSuccess(ctx context.Context, id string) error {
	cid, err := cString("ReportSuccess", "id", id)
	if err != nil {
		return err
	}
	defer freeCString(cid)
	return c.call(ctx, "ReportSuccess", func(h *C.zizq_client, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_report_success(h, cid, cerr)
	})
}

// Ack is ReportSuccess.
func (c *Client) Ack(ctx context.Context, id string) error { return c.ReportSuccess(ctx, id) }

// ReportSuccessBulk acknowledges many jobs in one request. Ids no longer
// in flight are ignored (the server's 422 counts as success). An empty
// list makes no request (the server would refuse it with a 400).
func (c *Client) ReportSuccessBulk(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		if ctx != nil && ctx.Err() != nil {
			return contextError("ReportSuccessBulk", ctx.Err())
		}
		return nil
	}
	doc, err := c.withDoc("ReportSuccessBulk", map[string]any{"ids": ids})
	if err != nil {
		return err
	}
	return c.call(ctx, "ReportSuccessBulk", func(h *C.zizq_client, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_report_success_bulk(h, bytesPtr(doc), C.size_t(len(doc)), cerr)
	})
}

// AckBulk is ReportSuccessBulk.
func (c *Client) AckBulk(ctx context.Context, ids []string) error {
	return c.ReportSuccessBulk(ctx, ids)
}

// Failure is a failure report (ReportFailure, and the worker's nacks).
// RetryAt asks for a retry at that time instead of the backoff; Kill gives
// up on the job (it becomes dead).
type Failure struct {
	Message   string
	ErrorType string
	Backtrace string
	RetryAt   time.Time
	Kill      bool
}

func (f Failure) doc() map[string]any {
	m := map[string]any{"message": f.Message}
	if f.ErrorType != "" {
		m["error_type"] = f.ErrorType
	}
	if f.Backtrace != "" {
		m["backtrace"] = f.Backtrace
	}
	if !f.RetryAt.IsZero() {
		m["retry_at"] = f.RetryAt.UnixMilli()
	}
	if f.Kill {
		m["kill"] = true
	}
	return m
}

// ReportFailure reports a failure of an in-flight job (nack) and returns
// the job, scheduled for a retry or dead.
func (c *Client) ReportFailure(ctx context.Context, id string, failure Failure) (*Job, error) {
	doc, err := c.withDoc("ReportFailure", failure.doc())
	if err != nil {
		return nil, err
	}
	cid, err := cString("ReportFailure", "id", id)
	if err != nil {
		return nil, err
	}
	defer freeCString(cid)
	out := &Job{}
	err = c.fetchDoc(ctx, "ReportFailure", out, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_report_failure(h, cid, bytesPtr(doc), C.size_t(len(doc)), buf, cerr)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Nack is ReportFailure.
func (c *Client) Nack(ctx context.Context, id string, failure Failure) (*Job, error) {
	return c.ReportFailure(ctx, id, failure)
}

// ListErrorsOptions paginate ListErrors: From is an attempt cursor
// (exclusive; 0 = from the start), Order OrderAsc/OrderDesc, Limit 0 =
// the server's default.
type ListErrorsOptions struct {
	From  uint32
	Order string
	Limit int
}

// ListErrors lists a job's error records, one page at a time.
func (c *Client) ListErrors(ctx context.Context, id string, opts ListErrorsOptions) (*ErrorPage, error) {
	m := map[string]any{}
	if opts.From != 0 {
		m["from"] = opts.From
	}
	if opts.Order != "" {
		m["order"] = opts.Order
	}
	if opts.Limit != 0 {
		m["limit"] = opts.Limit
	}
	doc, err := c.withDoc("ListErrors", m)
	if err != nil {
		return nil, err
	}
	cid, err := cString("ListErrors", "id", id)
	if err != nil {
		return nil, err
	}
	defer freeCString(cid)
	page := &ErrorPage{client: c}
	err = c.fetchDoc(ctx, "ListErrors", page, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_list_errors(h, cid, bytesPtr(doc), C.size_t(len(doc)), buf, cerr)
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// GetError fetches the error record of one attempt (1-based).
func (c *Client) GetError(ctx context.Context, id string, attempt uint32) (*ErrorRecord, error) {
	cid, err := cString("GetError", "id", id)
	if err != nil {
		return nil, err
	}
	defer freeCString(cid)
	out := &ErrorRecord{}
	err = c.fetchDoc(ctx, "GetError", out, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_get_error(h, cid, C.uint32_t(attempt), buf, cerr)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
