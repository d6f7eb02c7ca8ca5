/*
 * zizq.h — C API of libzizq, a client for the Zizq job-queue server.
 *
 * CONVENTIONS
 *
 * Names      Everything is prefixed `zizq_` / `ZIZQ_`. Handles are opaque
 *            (`zizq_client`, `zizq_take_stream`, `zizq_worker`, `zizq_batch`,
 *            `zizq_error`, `zizq_parser`, `zizq_frames`) and are created and
 *            released only by this library.
 *
 * Status     Every fallible call returns a `zizq_status`; `ZIZQ_OK` (0) is
 *            success. Values are stable and never reused; `zizq_status_name()`
 *            names them. Output parameters are written only on success.
 *            `ZIZQ_E_RESOURCE` means a system resource was unavailable
 *            (threads, descriptors), `ZIZQ_E_PANIC` a bug caught inside the
 *            library. `include/zizq.abi.json` (also returned by
 *            `zizq_abi_description()`) lists each status with its category
 *            and whether it is retryable by default.
 *
 * Errors     Fallible calls take a last argument `zizq_error **err` that may
 *            be NULL. The few calls that can only fail on a NULL handle, a
 *            handle from a parent process or an index out of range take no
 *            `err`; each says so (`zizq_client_close`, `zizq_client_cancel`,
 *            `zizq_client_close_streams`, `zizq_take_wakeup`,
 *            `zizq_take_close`, `zizq_worker_wakeup`, `zizq_frames_get`,
 *            `zizq_error_status`). On failure, if `err` is not NULL, `*err` receives a new
 *            error object (HTTP status, the server's message, the raw body,
 *            whether retrying the call is safe and could succeed, whether the
 *            request may have been acted on with no answer saying so) which
 *            the caller releases with `zizq_error_free`. On success `*err` is
 *            not touched. There is no thread-local "last error".
 *
 * Memory     Inputs are borrowed for the duration of the call only: strings are
 *            NUL-terminated UTF-8 (`const char *`); ids and names that
 *            become a path segment (job ids, cron group and entry names) must
 *            not be empty (`ZIZQ_E_INVALID_ARG`). Documents are
 *            `(const uint8_t *, size_t)` pairs. Outputs are allocated by the
 *            library and released by it: `zizq_buf_free`, `zizq_batch_free`,
 *            `zizq_error_free`, `*_free` for each handle. Never call `free()`
 *            on them.
 *
 * Safety     Each function's `# Safety` note says what its pointer arguments
 *            must point to; anything else is undefined behaviour. Any pointer
 *            may be NULL instead (a required one fails with
 *            `ZIZQ_E_NULL_ARG`). A live handle is one this library created
 *            and that has not been freed.
 *
 * Documents  Arguments that the Ruby `Zizq::Client` passes as keywords travel
 *            as one document (a map) in the client's document format:
 *            MessagePack by default, or JSON (`{"format":"json"}` at
 *            creation). Responses are the server's documents in the same
 *            format. The client option `documents` sets the document format
 *            apart from the wire's (e.g. JSON documents over a MessagePack
 *            wire; libzizq converts). Times are integer milliseconds since
 *            the Unix epoch; a job's `backoff` and `retention` may also be
 *            given in seconds. Client options are always JSON.
 *
 * Threads    A `zizq_client` is thread safe and meant to be shared: calls from
 *            many threads run concurrently over shared HTTP/2 connections.
 *            Blocking calls block only the calling thread. A take stream has
 *            one reader at a time; `zizq_take_wakeup` and `zizq_take_close`
 *            work from any thread. Callbacks (`zizq_take_jobs`) run on the
 *            thread that called the function, never on library threads.
 *
 * Shutdown   `zizq_*_close` is idempotent, never blocks for long, and makes
 *            blocked calls on that handle return `ZIZQ_E_CLOSED`. `zizq_*_free`
 *            releases the handle; call it once, after every other call on the
 *            handle has returned. For a worker: `zizq_worker_shutdown` (drains
 *            and flushes acknowledgements), then `zizq_worker_free`.
 *
 * Fork       A handle created before `fork()` returns `ZIZQ_E_FORKED` in the
 *            child; create new handles in the child.
 *
 * Panics     A bug inside the library is caught at the boundary and reported
 *            as `ZIZQ_E_PANIC`; it never unwinds into or aborts the host.
 */
