// Package zizq is a client for the Zizq job-queue server: enqueue jobs,
// take them from a stream, acknowledge or fail them, query, update and
// delete them, manage cron groups, and run a worker. It offers every method
// of the Ruby Zizq::Client in Go idiom, over MessagePack (the default) or
// JSON, plain HTTP or TLS.
//
// The work is done by libzizq, a native library shared with the Ruby,
// Python and C clients, which the package links through cgo. Install it
// first (from the libzizq source tree: make, then make install, which also
// installs zizq-testserver); the package finds it with pkg-config:
//
//	make && sudo make install                  # PREFIX=/usr/local
//	go get github.com/zizq/libzizq/bindings/go
//
// With another prefix, point pkg-config at it when building and the dynamic
// loader when running:
//
//	make install PREFIX=$HOME/.local
//	export PKG_CONFIG_PATH=$HOME/.local/lib/pkgconfig LD_LIBRARY_PATH=$HOME/.local/lib
//
// At start-up the package checks that the loaded library speaks the C ABI
// it was written for (ABIVersion); NewClient fails with a clear error
// otherwise.
//
// # Client
//
// A Client is safe for concurrent use; share one per process. Every method
// takes a context.Context first: cancelling it interrupts the call inside
// libzizq. Failures are *Error values; compare them with errors.Is against
// ErrNotFound, ErrClient, ErrTimeout, ErrClosed and the other sentinels.
// A call's outcome is a Status; a job's place in its life is a JobState.
//
// # Taking jobs
//
// Client.TakeJobs opens a take stream that one goroutine reads with
// TakeStream.Next; each job is acknowledged with Client.Ack or failed with
// Client.Nack, and the server requeues what a closed stream left
// unacknowledged. Worker runs a handler on many goroutines over libzizq's
// worker, which reconnects with backoff and batches acknowledgements.
//
// # Testing
//
// zizq-testserver, installed beside the library, is an in-memory Zizq
// server: start it with --port 0 and read the address it prints
// ("listening on http://127.0.0.1:PORT").
package zizq
