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
// ErrClient, ErrClosed...) or inspect the fields with errors.As.
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
	// Retryable tells whether the same call could succeed later
	// (transport failures, timeouts, 5xx).
	Retryable bool

	cause    error // context.Canceled / DeadlineExceeded for cancelled calls
	sentinel bool
}

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
// 4xx), and ErrCancelled matches any cancelled call.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || !t.sentinel {
		return false
	}
	if t.Code == e.Code {
		return true
	}
	return t.Code == StatusClient && e.Code == StatusNotFound
}

func sentinel(code Status) *Error {
	return &Error{Code: code, Status: code.String(), sentinel: true}
}

// Sentinels for errors.Is.
var (
	ErrInvalidArgument  = sentinel(StatusInvalidArg)
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
	e.Retryable = bool(C.zizq_error_retryable(cerr))
	var n C.size_t
	if body := C.zizq_error_body(cerr, &n); body != nil {
		e.Body = C.GoBytes(unsafe.Pointer(body), C.int(n))
	}
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

func goError(op string, code Status, format string, args ...any) *Error {
	return &Error{Op: op, Code: code, Status: code.String(), Message: fmt.Sprintf(format, args...)}
}
