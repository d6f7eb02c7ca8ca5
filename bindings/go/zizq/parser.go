package zizq

/*
#include <stdlib.h>
#include "zizq.h"
*/
import "C"

import (
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"sync"
	"unsafe"
)

// StreamParser is libzizq's incremental parser of take-stream bytes:
// NDJSON (JSON) or length-prefixed MessagePack (MessagePack), in any
// chunking, heartbeats skipped, every frame checked to be a well-formed
// document, a frame larger than the maximum refused (ErrFrameTooLarge),
// a truncated last frame reported by Finish (ErrStream). Not safe for
// concurrent use.
type StreamParser struct {
	mu     sync.Mutex
	p      *C.zizq_parser
	format Format
}

// NewStreamParser creates a parser; maxFrame 0 = 64 MiB.
func NewStreamParser(format Format, maxFrame int) (*StreamParser, error) {
	if abiError != nil {
		return nil, abiError
	}
	var p *C.zizq_parser
	var cerr *C.zizq_error
	if st := C.zizq_parser_new(C.int32_t(format), C.size_t(maxFrame), &p, &cerr); st != C.ZIZQ_OK {
		return nil, newError("NewStreamParser", st, cerr)
	}
	sp := &StreamParser{p: p, format: format}
	runtime.SetFinalizer(sp, (*StreamParser).Close)
	return sp, nil
}

// Feed parses a chunk and returns the frames it completed, each one whole
// document in the parser's format (copied into Go memory). Frames before a
// bad one come first; the error comes with the next call, and from then on
// the parser stays failed (libzizq keeps that state).
func (sp *StreamParser) Feed(chunk []byte) ([][]byte, error) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.p == nil {
		return nil, goError("Feed", StatusClosed, "the parser was closed")
	}
	var frames *C.zizq_frames
	var cerr *C.zizq_error
	if st := C.zizq_parser_feed(sp.p, bytesPtr(chunk), C.size_t(len(chunk)), &frames, &cerr); st != C.ZIZQ_OK {
		return nil, newError("Feed", st, cerr)
	}
	if frames == nil {
		return nil, nil
	}
	defer C.zizq_frames_free(frames)
	n := int(C.zizq_frames_len(frames))
	out := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		var data *C.uint8_t
		var length C.size_t
		if st := C.zizq_frames_get(frames, C.size_t(i), &data, &length); st != C.ZIZQ_OK {
			return nil, newError("Feed", st, nil)
		}
		out = append(out, C.GoBytes(unsafe.Pointer(data), C.int(length)))
	}
	return out, nil
}

// Finish signals the end of input: ErrStream if an unfinished frame remains.
func (sp *StreamParser) Finish() error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.p == nil {
		return goError("Finish", StatusClosed, "the parser was closed")
	}
	var cerr *C.zizq_error
	if st := C.zizq_parser_finish(sp.p, &cerr); st != C.ZIZQ_OK {
		return newError("Finish", st, cerr)
	}
	return nil
}

// Close releases the parser. Idempotent.
func (sp *StreamParser) Close() error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.p != nil {
		C.zizq_parser_free(sp.p)
		sp.p = nil
	}
	return nil
}

// ParseNDJSON is the seed's parse_ndjson: it reads an NDJSON take stream
// from r and calls fn with each job document (heartbeats skipped). It
// stops at fn's first error; a truncated last line is ErrStream.
func ParseNDJSON(r io.Reader, fn func(doc json.RawMessage) error) error {
	return parseStream(JSON, r, fn)
}

// ParseMsgpackStream is the seed's parse_msgpack_stream: it reads a
// length-prefixed MessagePack take stream from r and calls fn with each
// job document, transcoded to JSON.
func ParseMsgpackStream(r io.Reader, fn func(doc json.RawMessage) error) error {
	return parseStream(MessagePack, r, fn)
}

func parseStream(format Format, r io.Reader, fn func(doc json.RawMessage) error) error {
	sp, err := NewStreamParser(format, 0)
	if err != nil {
		return err
	}
	defer sp.Close()
	chunk := make([]byte, 64*1024)
	for {
		n, rerr := r.Read(chunk)
		if n > 0 {
			frames, err := sp.Feed(chunk[:n])
			if err != nil {
				return err
			}
			for _, frame := range frames {
				doc := frame
				if format != JSON {
					if doc, err = Transcode(format, JSON, frame); err != nil {
						return err
					}
				}
				if err := fn(doc); err != nil {
					return err
				}
			}
		}
		if errors.Is(rerr, io.EOF) {
			return sp.Finish()
		}
		if rerr != nil {
			return rerr
		}
	}
}
