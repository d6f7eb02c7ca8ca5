package zizq

/*
#include <stdlib.h>
#include "zizq.h"
*/
import "C"

import (
	"context"
	"unsafe"
)

// GetQueues lists every distinct queue name on the server.
func (c *Client) GetQueues(ctx context.Context) ([]string, error) {
	var out struct {
		Queues []string `json:"queues"`
	}
	err := c.fetchDoc(ctx, "GetQueues", &out, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_get_queues(h, buf, cerr)
	})
	if err != nil {
		return nil, err
	}
	if out.Queues == nil {
		out.Queues = []string{}
	}
	return out.Queues, nil
}

// Health returns the server's health document ({"status": "ok"}).
func (c *Client) Health(ctx context.Context) (map[string]any, error) {
	out := map[string]any{}
	err := c.fetchDoc(ctx, "Health", &out, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_health(h, buf, cerr)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ServerVersion returns the server's version string.
func (c *Client) ServerVersion(ctx context.Context) (string, error) {
	var out struct {
		Version string `json:"version"`
	}
	err := c.fetchDoc(ctx, "ServerVersion", &out, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_server_version(h, buf, cerr)
	})
	return out.Version, err
}

// Request sends any request (the escape hatch): method e.g. "GET", path
// starting with "/" (query included), body in the client's format (nil
// for none). It returns the HTTP status and the raw body; only transport
// failures are errors.
func (c *Client) Request(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	cm, err := cString("Request", "method", method)
	if err != nil {
		return 0, nil, err
	}
	defer freeCString(cm)
	cp, err := cString("Request", "path", path)
	if err != nil {
		return 0, nil, err
	}
	defer freeCString(cp)
	var status C.uint16_t
	var buf C.zizq_buf
	var bodyPtr *C.uint8_t
	if body != nil {
		bodyPtr = bytesPtr(body)
		if bodyPtr == nil {
			bodyPtr = (*C.uint8_t)(unsafe.Pointer(&emptyBody))
		}
	}
	err = c.call(ctx, "Request", func(h *C.zizq_client, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_request(h, cm, cp, bodyPtr, C.size_t(len(body)), &status, &buf, cerr)
	})
	if err != nil {
		return 0, nil, err
	}
	return int(status), takeBuf(&buf), nil
}

var emptyBody byte
