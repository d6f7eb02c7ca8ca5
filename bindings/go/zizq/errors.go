package zizq

/*
#include "zizq.h"
*/
import "C"

import (
	"context"
	"fmt"
	"unsafe"
)

// Status is a libzizq status code (zizq_status). The values are stable.
type Status int

// The statuses of libzizq (include/zizq.h).
const (
	StatusOK               Status = C.ZIZQ_OK
	StatusNullArg          Status = C.ZIZQ_E_NULL_ARG
	StatusInvalidArg       Status = C.ZIZQ_E_INVALID_ARG
	StatusDecode           Status = C.ZIZQ_E_DECODE
	StatusNotFound         Status = C.ZIZQ_E_NOT_FOUND
	StatusClient           Status = C.ZIZQ_E_CLIENT
	StatusServer           Status = C.ZIZQ_E_SERVER
	StatusConnection       Status = C.ZIZQ_E_CONNECTION
	StatusTimeout          Status = C.ZIZQ_E_TIMEOUT
	StatusTLS              Status = C.ZIZQ_E_TLS
	StatusStream           Status = C.ZIZQ_E_STREAM
	StatusClosed           Status = C.ZIZQ_E_CLOSED
	StatusCancelled        Status = C.ZIZQ_E_CANCELLED
	StatusForked           Status = C.ZIZQ_E_FORKED
	StatusPanic            Status = C.ZIZQ_E_PANIC
	StatusUnexpectedStatus Status = C.ZIZQ_E_UNEXPECTED_STATUS
	StatusFrameTooLarge    Status = C.ZIZQ_E_FRAME_TOO_LARGE
	StatusBusy             Status = C.ZIZQ_E_BUSY
	StatusStreamEnded      Status = C.ZIZQ_E_STREAM_ENDED
	StatusResource         Status = C.ZIZQ_E_RESOURCE
	// StatusPending is not a failure: a call started on a deferred client
	// (the C API's completion queues; this package blocks goroutines instead).
	StatusPending Status = C.ZIZQ_PENDING
)

// String is the C name of the status, e.g. "ZIZQ_E_NOT_FOUND".
func (s Status) String() string {
	return C.GoString(C.zizq_status_name(C.int32_t(s)))
}

// Description is a short English description of the status.
func (s Status) Description() string {
	return C.GoString(C.zizq_status_str(C.int32_t(s)))
}

// Error is every error of this package that comes from libzizq or the
// server. Compare with errors.Is against the sentinels (ErrNotFound,
// ErrClient, ErrClosed..., and ErrRetryable / ErrOutcomeUnknown for the
// retry safety) or inspect the fields with errors.As.
type Error struct {
	// Op is the method that failed, e.g. "GetJob".
	Op string
	// Code is the libzizq status; Status is its name ("ZIZQ_E_NOT_FOUND").
	Code   Status
	Status string
	// HTTPStatus of the server's answer, 0 when there was none.
	HTTPStatus int
	// Message is the server's `error` text for HTTP errors, else libzizq's
	// description of the failure.
	Message string
	// Body is the raw body of the server's answer (JSON, MessagePack or
	// text, as sent), nil when there was none.
	Body []byte
	// BodyFormat is the format of Body: JSON or MessagePack when it is a
	// document, NoDocument otherwise.
	BodyFormat Format

	retryable      bool
	outcomeUnknown bool
	cause          error // context.Canceled / DeadlineExceeded for cancelled calls
	sentinel       bool
	matches        func(*Error) bool // a sentinel matching a property, not a status
}

// Retryable tells whether retrying the same call is safe and could
// succeed: nothing was acted on (connection refused, a 503...), or the
// operation is safe to repeat (reads, deletes by id, acks). It is false
// after an unknown outcome of an enqueue, which a retry could duplicate
// (give jobs a UniqueKey to make such retries safe).
func (e *Error) Retryable() bool { return e.retryable }

// OutcomeUnknown tells whether the request may have reached the server
// with no answer saying what happened (the connection was lost after the
// request was sent, the read timeout expired): the server may or may not
// have acted on it.
func (e *Error) OutcomeUnknown() bool { return e.outcomeUnknown }

func (e *Error) Error() string {
	if e.sentinel {
		return "zizq: " + e.Status
	}
	s := "zizq: "
	if e.Op != "" {
		s += e.Op + ": "
	}
	s += e.Status
	if e.HTTPStatus != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns context.Canceled or context.DeadlineExceeded when the
// call was interrupted by its context.
func (e *Error) Unwrap() error { return e.cause }

// Is matches the sentinels by status. ErrClient also matches 404 (every
// 4xx), ErrInvalidArgument every refused argument (invalid or missing: a
// nil receiver too), and ErrCancelled matches any cancelled call.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || !t.sentinel {
		return false
	}
	if t.matches != nil {
		return t.matches(e)
	}
	switch t.Code {
	case e.Code:
		return true
	case StatusClient:
		return e.Code == StatusNotFound
	case StatusInvalidArg:
		return e.Code == StatusNullArg
	}
	return false
}

func sentinel(code Status) *Error {
	return &Error{Code: code, Status: code.String(), sentinel: true}
}

// Sentinels for errors.Is.
var (
	ErrInvalidArgument  = sentinel(StatusInvalidArg) // any refused argument, nil ones included
	ErrDecode           = sentinel(StatusDecode)
	ErrNotFound         = sentinel(StatusNotFound)
	ErrClient           = sentinel(StatusClient) // any 4xx answer, 404 included
	ErrServer           = sentinel(StatusServer) // a 5xx answer
	ErrConnection       = sentinel(StatusConnection)
	ErrTimeout          = sentinel(StatusTimeout)
	ErrTLS              = sentinel(StatusTLS)
	ErrStream           = sentinel(StatusStream)
	ErrClosed           = sentinel(StatusClosed)
	ErrCancelled        = sentinel(StatusCancelled)
	ErrForked           = sentinel(StatusForked)
	ErrPanic            = sentinel(StatusPanic)
	ErrUnexpectedStatus = sentinel(StatusUnexpectedStatus)
	ErrFrameTooLarge    = sentinel(StatusFrameTooLarge)
	ErrBusy             = sentinel(StatusBusy)
	ErrStreamEnded      = sentinel(StatusStreamEnded)
	ErrResource         = sentinel(StatusResource)

	// ErrRetryable matches the errors whose call is safe to retry
	// (Error.Retryable); ErrOutcomeUnknown those whose request may have
	// been acted on without an answer saying so (Error.OutcomeUnknown).
	ErrRetryable      = &Error{Status: "retryable", sentinel: true, matches: (*Error).Retryable}
	ErrOutcomeUnknown = &Error{Status: "outcome unknown", sentinel: true, matches: (*Error).OutcomeUnknown}
)

// newError converts a failed call's status and error object (may be NULL)
// into an *Error, releasing the error object.
func newError(op string, st C.enum_zizq_status, cerr *C.zizq_error) *Error {
	code := Status(st)
	e := &Error{Op: op, Code: code, Status: code.String()}
	if cerr == nil {
		e.Message = code.Description()
		return e
	}
	defer C.zizq_error_free(cerr)
	e.HTTPStatus = int(C.zizq_error_http_status(cerr))
	e.Message = C.GoString(C.zizq_error_message(cerr))
	e.retryable = bool(C.zizq_error_retryable(cerr))
	e.outcomeUnknown = bool(C.zizq_error_outcome_unknown(cerr))
	var n C.size_t
	if body := C.zizq_error_body(cerr, &n); body != nil {
		e.Body = C.GoBytes(unsafe.Pointer(body), C.int(n))
	}
	e.BodyFormat = Format(C.zizq_error_body_format(cerr))
	return e
}

// contextError is the error of a call that did not start because its
// context was already done.
func contextError(op string, err error) *Error {
	return &Error{Op: op, Code: StatusCancelled, Status: StatusCancelled.String(),
		Message: err.Error(), cause: err}
}

// attachContext links a cancelled call's error to its context's error.
func attachContext(ctx context.Context, e *Error) *Error {
	if e.Code == StatusCancelled && ctx.Err() != nil {
		e.cause = ctx.Err()
		e.Message = ctx.Err().Error()
	}
	return e
}

// nilReceiver is the error of a method called on a nil pointer (a value
// whose constructor failed): like os.File's ErrInvalid, an error rather
// than a panic.
func nilReceiver(op, typ string) *Error {
	return goError(op, StatusNullArg, "called on a nil %s", typ)
}

func goError(op string, code Status, format string, args ...any) *Error {
	return &Error{Op: op, Code: code, Status: code.String(), Message: fmt.Sprintf(format, args...)}
}
