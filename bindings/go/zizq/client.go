package zizq

/*
#include "zizq.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"
)

// Client talks to one Zizq server. It is safe for concurrent use: share
// one per process; concurrent calls are multiplexed over shared HTTP/2
// connections by libzizq.
//
// Every method takes a context first. A context that can be cancelled
// (or has a deadline) interrupts the call when it is done: the call
// returns an *Error with Code StatusCancelled that wraps ctx.Err(), so
// errors.Is(err, context.Canceled) (or context.DeadlineExceeded) holds.
// Each such call runs on its own derived libzizq handle
// (zizq_client_derive), which zizq_client_cancel interrupts without
// touching other calls.
type Client struct {
	h      *C.zizq_client
	format Format
	url    string
	closed atomic.Bool
}

// TLSConfig names the certificates of an https:// server. Each item is
// given either as PEM text or as a path to a PEM file.
type TLSConfig struct {
	CAPEM, CAFile                 string // trusted CA (else the webpki roots)
	ClientCertPEM, ClientCertFile string // client certificate (mutual TLS)
	ClientKeyPEM, ClientKeyFile   string // its private key
}

type clientOptions struct {
	Format string `json:"format"`
	// Documents is always "json": whatever the wire speaks, libzizq hands
	// documents over as JSON, which encoding/json reads.
	Documents        string         `json:"documents"`
	ReadTimeoutMs    *int64         `json:"read_timeout_ms,omitempty"`
	StreamIdleMs     *int64         `json:"stream_idle_timeout_ms,omitempty"`
	ConnectTimeoutMs *int64         `json:"connect_timeout_ms,omitempty"`
	Connections      int            `json:"connections,omitempty"`
	MaxFrameBytes    int64          `json:"max_frame_bytes,omitempty"`
	TLS              map[string]any `json:"tls,omitempty"`
	LogLevel         string         `json:"log_level,omitempty"`
	format           Format
	logger           *slog.Logger
}

// Option configures NewClient.
type Option func(*clientOptions)

// WithFormat selects the wire format (MessagePack by default, or JSON).
func WithFormat(f Format) Option { return func(o *clientOptions) { o.format = f } }

func millis(d time.Duration) *int64 { ms := d.Milliseconds(); return &ms }

// WithReadTimeout bounds each request (default 30 s).
func WithReadTimeout(d time.Duration) Option {
	return func(o *clientOptions) { o.ReadTimeoutMs = millis(d) }
}

// WithStreamIdleTimeout is how long a take stream may stay silent before
// it is reported dead (default 30 s; the server's heartbeats keep a
// healthy stream alive).
func WithStreamIdleTimeout(d time.Duration) Option {
	return func(o *clientOptions) { o.StreamIdleMs = millis(d) }
}

// WithConnectTimeout bounds connection set-up (default 10 s).
func WithConnectTimeout(d time.Duration) Option {
	return func(o *clientOptions) { o.ConnectTimeoutMs = millis(d) }
}

// WithConnections sets how many HTTP/2 connections requests share (default 1).
func WithConnections(n int) Option { return func(o *clientOptions) { o.Connections = n } }

// WithMaxFrameBytes sets the largest accepted take-stream frame (default 64 MiB).
func WithMaxFrameBytes(n int64) Option { return func(o *clientOptions) { o.MaxFrameBytes = n } }

// WithTLS sets the CA and the client certificate for an https:// URL.
func WithTLS(t TLSConfig) Option {
	return func(o *clientOptions) {
		m := map[string]any{}
		put := func(key, value string) {
			if value != "" {
				m[key] = value
			}
		}
		put("ca_pem", t.CAPEM)
		put("ca_file", t.CAFile)
		put("client_cert_pem", t.ClientCertPEM)
		put("client_cert_file", t.ClientCertFile)
		put("client_key_pem", t.ClientKeyPEM)
		put("client_key_file", t.ClientKeyFile)
		if len(m) > 0 {
			o.TLS = m
		}
	}
}

// NewClient creates a client for the server at url ("http://host:port";
// https:// enables TLS). Nothing connects until the first call.
func NewClient(url string, opts ...Option) (*Client, error) {
	if abiError != nil {
		return nil, abiError
	}
	o := clientOptions{format: MessagePack}
	for _, opt := range opts {
		opt(&o)
	}
	o.Format = o.format.String()
	o.Documents = JSON.String()
	doc, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	curl, err := cString("NewClient", "url", url)
	if err != nil {
		return nil, err
	}
	defer freeCString(curl)
	var h *C.zizq_client
	var cerr *C.zizq_error
	if st := C.zizq_client_new(curl, bytesPtr(doc), C.size_t(len(doc)), &h, &cerr); st != C.ZIZQ_OK {
		return nil, newError("NewClient", st, cerr)
	}
	c := &Client{h: h, format: o.format}
	var buf C.zizq_buf
	if st := C.zizq_client_url(h, &buf, nil); st == C.ZIZQ_OK {
		c.url = string(takeBuf(&buf))
	} else {
		c.url = url
	}
	// libzizq's events go to the logger from a goroutine of their own, on
	// a derived handle, so that the Client can still be collected.
	pump, err := startEventPump(h, o.logger)
	if err != nil {
		C.zizq_client_free(h)
		return nil, err
	}
	runtime.SetFinalizer(c, func(c *Client) {
		pump.stop()
		C.zizq_client_free(c.h)
	})
	return c, nil
}

// URL is the normalised base URL (no trailing "/").
func (c *Client) URL() string { return c.url }

// Format is the client's wire format.
func (c *Client) Format() Format { return c.format }

// Close closes the client: calls in progress in other goroutines return
// ErrClosed promptly, take streams and workers of this client stop, and
// later calls return ErrClosed. Idempotent; never blocks. The native
// handle is released when the Client is garbage-collected.
func (c *Client) Close() error {
	if c == nil {
		return nilReceiver("Close", "*Client")
	}
	c.closed.Store(true)
	C.zizq_client_close(c.h)
	runtime.KeepAlive(c)
	return nil
}

// CloseStreams ends every take stream of this client, including one still
// connecting (the seed's cleanup_internal_clients): a waiting Next returns
// ErrClosed. The client stays usable; workers are not affected.
func (c *Client) CloseStreams() {
	if c == nil {
		return
	}
	C.zizq_client_close_streams(c.h)
	runtime.KeepAlive(c)
}

// call runs fn with a handle whose calls ctx can cancel.
func (c *Client) call(ctx context.Context, op string,
	fn func(h *C.zizq_client, cerr **C.zizq_error) C.enum_zizq_status) error {
	if c == nil {
		return nilReceiver(op, "*Client")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return contextError(op, err)
	}
	defer runtime.KeepAlive(c)
	var cerr *C.zizq_error
	if ctx.Done() == nil {
		if st := fn(c.h, &cerr); st != C.ZIZQ_OK {
			return newError(op, st, cerr)
		}
		return nil
	}
	var d *C.zizq_client
	if st := C.zizq_client_derive(c.h, &d, &cerr); st != C.ZIZQ_OK {
		return newError(op, st, cerr)
	}
	cancelled := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		C.zizq_client_cancel(d)
		close(cancelled)
	})
	st := fn(d, &cerr)
	if !stop() {
		<-cancelled // the cancel is running: let it finish before the free
	}
	C.zizq_client_free(d)
	if st != C.ZIZQ_OK {
		return attachContext(ctx, newError(op, st, cerr))
	}
	return nil
}

// encode turns v into a document for libzizq (JSON, see clientOptions).
func (c *Client) encode(v any) ([]byte, error) {
	return json.Marshal(v)
}

// fetchDoc runs a call answering a document and decodes it into out
// (which may be a *json.RawMessage).
func (c *Client) fetchDoc(ctx context.Context, op string, out any,
	fn func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status) error {
	var buf C.zizq_buf
	err := c.call(ctx, op, func(h *C.zizq_client, cerr **C.zizq_error) C.enum_zizq_status {
		return fn(h, &buf, cerr)
	})
	if err != nil {
		return err
	}
	j := takeBuf(&buf)
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = j
		return nil
	}
	if err := json.Unmarshal(j, out); err != nil {
		return &Error{Op: op, Code: StatusDecode, Status: StatusDecode.String(), Message: err.Error()}
	}
	return nil
}

// optionalDoc is withDoc for an optional body: nil sends no document.
func (c *Client) optionalDoc(op string, body any) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	return c.withDoc(op, body)
}

// withDoc encodes v for a call taking a document.
func (c *Client) withDoc(op string, v any) ([]byte, error) {
	if c == nil {
		return nil, nilReceiver(op, "*Client")
	}
	doc, err := c.encode(v)
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Op = op
			return nil, e
		}
		return nil, &Error{Op: op, Code: StatusInvalidArg, Status: StatusInvalidArg.String(), Message: err.Error()}
	}
	return doc, nil
}
