package zizq

/*
#cgo pkg-config: zizq
#include <stdlib.h>
#include "zizq.h"
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

// ABIVersion is the libzizq C ABI this package was written for.
const ABIVersion = 1

// Compile-time check that the header we build against is the one we know.
var _ = [1]struct{}{}[C.ZIZQ_ABI_VERSION-ABIVersion]

// abiError is set when the loaded library speaks another C ABI; every
// constructor then refuses to work.
var abiError = checkABI()

func checkABI() error {
	if got := uint32(C.zizq_abi_version()); got != ABIVersion {
		return fmt.Errorf("zizq: libzizq speaks C ABI %d but this package needs ABI %d (library %s)",
			got, ABIVersion, C.GoString(C.zizq_version()))
	}
	return nil
}

// HeaderVersion is the version of libzizq whose header (zizq.h) this
// package was compiled against; LibraryVersion reports the loaded library's.
const HeaderVersion = C.ZIZQ_VERSION

// LibraryVersion is the loaded libzizq's version string, with its main
// dependencies: "libzizq/0.1.0 (hyper/1, ...)".
func LibraryVersion() string {
	return C.GoString(C.zizq_version())
}

// ABIDescription is the loaded libzizq's description of its C ABI, as
// JSON (zizq_abi_description): statuses, structs, function signatures, the
// option keys and the worker's stats keys.
func ABIDescription() string {
	return C.GoString(C.zizq_abi_description())
}

// Format is the wire format of every document a Client exchanges with the
// server, and the format of an error body.
type Format int

const (
	// NoDocument is the format of an error body that is not a document:
	// absent, empty or text.
	NoDocument Format = C.ZIZQ_FORMAT_NONE
	// JSON documents (application/json, NDJSON streams).
	JSON Format = C.ZIZQ_FORMAT_JSON
	// MessagePack documents (application/msgpack, length-prefixed streams).
	// The default.
	MessagePack Format = C.ZIZQ_FORMAT_MSGPACK
)

func (f Format) String() string {
	switch f {
	case JSON:
		return "json"
	case MessagePack:
		return "msgpack"
	case NoDocument:
		return "none"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// bytesPtr is the C view of a borrowed Go byte slice (NULL when empty).
func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// cString allocates a C copy of s, the argument name of the call op; free
// it with freeCString. A NUL byte is refused (ErrInvalidArgument): C would
// see the string cut there. Empty ids and invalid UTF-8 are left to
// libzizq, which refuses them.
func cString(op, name, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, goError(op, StatusInvalidArg, "%s must not contain NUL bytes", name)
	}
	return C.CString(s), nil
}

func freeCString(s *C.char) {
	C.free(unsafe.Pointer(s))
}

// takeBuf copies a library buffer into Go memory and releases it.
func takeBuf(b *C.zizq_buf) []byte {
	defer C.zizq_buf_free(b)
	if b.len == 0 || b.data == nil {
		return []byte{}
	}
	return C.GoBytes(unsafe.Pointer(b.data), C.int(b.len))
}

// transcode re-encodes a document between formats (a copy when from == to).
func transcode(from, to Format, doc *C.uint8_t, n C.size_t) ([]byte, error) {
	var out C.zizq_buf
	var cerr *C.zizq_error
	st := C.zizq_doc_transcode(C.int32_t(from), C.int32_t(to), doc, n, &out, &cerr)
	if st != C.ZIZQ_OK {
		return nil, newError("transcode", st, cerr)
	}
	return takeBuf(&out), nil
}

// Transcode re-encodes a document from one format to another, e.g. a
// MessagePack job document to JSON for printing.
func Transcode(from, to Format, doc []byte) ([]byte, error) {
	return transcode(from, to, bytesPtr(doc), C.size_t(len(doc)))
}
