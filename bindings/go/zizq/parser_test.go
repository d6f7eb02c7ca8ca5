package zizq

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"
)

func msgpackFrame(t *testing.T, jsonDoc string) []byte {
	t.Helper()
	doc := must(Transcode(JSON, MessagePack, []byte(jsonDoc)))(t)
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(doc)))
	return append(frame, doc...)
}

func TestStreamParser(t *testing.T) {
	ndjson := []byte("{\"id\":\"1\",\"n\":1}\n\n{\"id\":\"2\",\"n\":2}\n\n")
	var stream []byte
	stream = append(stream, msgpackFrame(t, `{"id":"1","n":1}`)...)
	stream = append(stream, 0, 0, 0, 0) // heartbeat
	stream = append(stream, msgpackFrame(t, `{"id":"2","n":2}`)...)
	for _, tc := range []struct {
		format Format
		data   []byte
		parse  func(r *bytes.Reader, fn func(json.RawMessage) error) error
	}{
		{JSON, ndjson, func(r *bytes.Reader, fn func(json.RawMessage) error) error { return ParseNDJSON(r, fn) }},
		{MessagePack, stream, func(r *bytes.Reader, fn func(json.RawMessage) error) error { return ParseMsgpackStream(r, fn) }},
	} {
		t.Run(tc.format.String(), func(t *testing.T) {
			// Byte by byte through the incremental parser.
			p := must(NewStreamParser(tc.format, 0))(t)
			defer p.Close()
			var frames [][]byte
			for i := range tc.data {
				frames = append(frames, must(p.Feed(tc.data[i:i+1]))(t)...)
			}
			ok(t, p.Finish())
			if len(frames) != 2 {
				t.Fatalf("frames %q", frames)
			}
			j := must(Transcode(tc.format, JSON, frames[1]))(t)
			if string(j) != `{"id":"2","n":2}` {
				t.Fatalf("frame %s", j)
			}
			// The seed's parse helpers over a reader.
			var ids []string
			ok(t, tc.parse(bytes.NewReader(tc.data), func(doc json.RawMessage) error {
				var v struct{ ID string }
				if err := json.Unmarshal(doc, &v); err != nil {
					return err
				}
				ids = append(ids, v.ID)
				return nil
			}))
			if len(ids) != 2 || ids[0] != "1" || ids[1] != "2" {
				t.Fatalf("parsed %v", ids)
			}
			// A truncated last frame.
			err := tc.parse(bytes.NewReader(tc.data[:len(tc.data)-3]), func(json.RawMessage) error { return nil })
			if !errors.Is(err, ErrStream) {
				t.Fatalf("truncated: %v", err)
			}
			// A frame over the limit.
			small := must(NewStreamParser(tc.format, 8))(t)
			defer small.Close()
			if _, err := small.Feed(tc.data); !errors.Is(err, ErrFrameTooLarge) {
				t.Fatalf("too large: %v", err)
			}
			ok(t, p.Close())
			if _, err := p.Feed([]byte("x")); !errors.Is(err, ErrClosed) {
				t.Fatalf("closed parser: %v", err)
			}
		})
	}
	// Garbage is a decode error and the parser stays failed.
	p := must(NewStreamParser(JSON, 0))(t)
	defer p.Close()
	if _, err := p.Feed([]byte("{not json\n")); !errors.Is(err, ErrDecode) {
		t.Fatalf("garbage: %v", err)
	}
	if _, err := p.Feed([]byte("{}\n")); err == nil {
		t.Fatal("a failed parser stays failed")
	}
}
