/*
 * abi_test.c — calls every exported function of libzizq from C against a
 * running server (ZIZQ_URL), checking results and error paths. Built with
 * -std=c11 -Wall -Wextra -Werror -pedantic and run under AddressSanitizer
 * and UBSan by `make test`. Fault injection uses the test server's control
 * API (`/_testserver/...`) and is skipped when ZIZQ_TEST_URL is set.
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zizq.h"

static int failures = 0;
static int checks = 0;

#define EXPECT(cond)                                                        \
    do {                                                                    \
        checks++;                                                           \
        if (!(cond)) {                                                      \
            failures++;                                                     \
            fprintf(stderr, "%s:%d: expectation failed: %s\n", __FILE__,    \
                    __LINE__, #cond);                                       \
        }                                                                   \
    } while (0)

/* Run a call that must succeed (it names its error out-param `&err_`);
 * print the error otherwise. */
#define OK(call)                                                            \
    do {                                                                    \
        zizq_error *err_ = NULL;                                            \
        zizq_status st_ = (call);                                           \
        checks++;                                                           \
        if (st_ != ZIZQ_OK) {                                               \
            failures++;                                                     \
            fprintf(stderr, "%s:%d: %s -> %s: %s\n", __FILE__, __LINE__,    \
                    #call, zizq_status_name((int32_t)st_),                  \
                    err_ ? zizq_error_message(err_) : "(no error object)"); \
        }                                                                   \
        zizq_error_free(err_);                                              \
    } while (0)

#define LEN(s) (sizeof(s) - 1)
#define DOC(s) (const uint8_t *)(s), LEN(s)

/* Compare a buffer with a C string. */
static int buf_eq(const zizq_buf *b, const char *s) {
    return b->len == strlen(s) && memcmp(b->data, s, b->len) == 0;
}

/* Copy the string at `path` of a JSON document into a static buffer. */
static const char *str_at(const zizq_buf *doc, const char *path) {
    static char out[4][256];
    static int slot = 0;
    zizq_buf v = {0};
    zizq_error *err = NULL;
    char *dst = out[slot++ % 4];
    dst[0] = '\0';
    if (zizq_doc_get_str(ZIZQ_FORMAT_JSON, doc->data, doc->len, path, &v, &err) == ZIZQ_OK) {
        size_t n = v.len < 255 ? v.len : 255;
        memcpy(dst, v.data, n);
        dst[n] = '\0';
    }
    zizq_error_free(err);
    zizq_buf_free(&v);
    return dst;
}

static int64_t int_at(const zizq_buf *doc, const char *path) {
    int64_t v = -1;
    zizq_error *err = NULL;
    if (zizq_doc_get_int(ZIZQ_FORMAT_JSON, doc->data, doc->len, path, &v, &err) != ZIZQ_OK) v = -1;
    zizq_error_free(err);
    return v;
}

static void control(zizq_client *c, const char *method, const char *path, const char *json) {
    uint16_t http = 0;
    zizq_buf out = {0};
    OK(zizq_request(c, method, path, (const uint8_t *)json, json ? strlen(json) : 0, &http, &out, &err_));
    EXPECT(http == 200);
    zizq_buf_free(&out);
}

static void test_basics(void) {
    EXPECT(zizq_abi_version() == ZIZQ_ABI_VERSION);
    /* The description names itself among the functions it lists. */
    EXPECT(zizq_abi_description()[0] == '{');
    EXPECT(strstr(zizq_abi_description(), "\"zizq_abi_description\"") != NULL);
    EXPECT(strncmp(zizq_version(), "libzizq/", 8) == 0);
    EXPECT(strcmp(zizq_status_name(ZIZQ_E_NOT_FOUND), "ZIZQ_E_NOT_FOUND") == 0);
    EXPECT(strcmp(zizq_status_name(12345), "ZIZQ_UNKNOWN") == 0);
    EXPECT(strlen(zizq_status_str(ZIZQ_E_TIMEOUT)) > 0);

    /* Bad input: clear statuses, never a crash. */
    zizq_client *c = NULL;
    zizq_error *err = NULL;
    EXPECT(zizq_client_new(NULL, NULL, 0, &c, &err) == ZIZQ_E_NULL_ARG);
    EXPECT(zizq_error_status(err) == ZIZQ_E_NULL_ARG);
    zizq_error_free(err);
    err = NULL;
    EXPECT(zizq_client_new("gopher://x", NULL, 0, &c, &err) == ZIZQ_E_INVALID_ARG);
    EXPECT(strstr(zizq_error_message(err), "scheme") != NULL);
    EXPECT(!zizq_error_retryable(err));
    zizq_error_free(err);
    EXPECT(c == NULL);
    EXPECT(zizq_client_new("http://127.0.0.1:1", DOC("{\"format\":1}"), &c, NULL) == ZIZQ_E_INVALID_ARG);
    EXPECT(zizq_client_new("http://127.0.0.1:1", DOC("{oops"), &c, NULL) == ZIZQ_E_INVALID_ARG);
    const char bad_utf8[] = {'h', (char)0xff, 0};
    EXPECT(zizq_client_new(bad_utf8, NULL, 0, &c, NULL) == ZIZQ_E_INVALID_ARG);

    /* A dead server: a retryable connection error. */
    OK(zizq_client_new("http://127.0.0.1:1", DOC("{\"format\":\"json\",\"connect_timeout_ms\":2000}"), &c, &err_));
    zizq_buf out = {0};
    err = NULL;
    EXPECT(zizq_health(c, &out, &err) == ZIZQ_E_CONNECTION);
    EXPECT(zizq_error_retryable(err));
    EXPECT(!zizq_error_outcome_unknown(err)); /* nothing was sent */
    EXPECT(zizq_error_http_status(err) == 0);
    size_t body_len = 99;
    EXPECT(zizq_error_body(err, &body_len) == NULL && body_len == 0);
    EXPECT(zizq_error_body_format(err) == ZIZQ_FORMAT_NONE);
    EXPECT(zizq_error_body_format(NULL) == ZIZQ_FORMAT_NONE);
    zizq_error_free(err);
    EXPECT(zizq_client_format(c) == ZIZQ_FORMAT_JSON);
    EXPECT(zizq_client_document_format(c) == ZIZQ_FORMAT_JSON);
    OK(zizq_client_url(c, &out, &err_));
    EXPECT(buf_eq(&out, "http://127.0.0.1:1"));
    zizq_buf_free(&out);
    EXPECT(zizq_client_close(c) == ZIZQ_OK);
    EXPECT(zizq_client_close(c) == ZIZQ_OK);
    EXPECT(zizq_health(c, &out, NULL) == ZIZQ_E_CLOSED);
    zizq_client_free(c);
    zizq_client_free(NULL);
    zizq_buf_free(NULL);
    zizq_error_free(NULL);
    EXPECT(!zizq_error_outcome_unknown(NULL) && !zizq_error_retryable(NULL));

    /* Documents. */
    zizq_buf mp = {0};
    OK(zizq_doc_transcode(ZIZQ_FORMAT_JSON, ZIZQ_FORMAT_MSGPACK, DOC("{\"a\":[1,\"x\"]}"), &mp, &err_));
    EXPECT(mp.len == 7 && mp.data[0] == 0x81);
    size_t n = 0;
    OK(zizq_doc_get_len(ZIZQ_FORMAT_MSGPACK, mp.data, mp.len, "a", &n, &err_));
    EXPECT(n == 2);
    err = NULL;
    EXPECT(zizq_doc_get_str(ZIZQ_FORMAT_MSGPACK, mp.data, mp.len, "a.0", &out, &err) == ZIZQ_E_INVALID_ARG);
    zizq_error_free(err);
    EXPECT(zizq_doc_get_str(ZIZQ_FORMAT_MSGPACK, mp.data, mp.len, "b", &out, NULL) == ZIZQ_E_NOT_FOUND);
    EXPECT(zizq_doc_transcode(ZIZQ_FORMAT_MSGPACK, ZIZQ_FORMAT_JSON, mp.data, 3, &out, NULL) == ZIZQ_E_DECODE);
    EXPECT(zizq_doc_transcode(9, ZIZQ_FORMAT_JSON, mp.data, mp.len, &out, NULL) == ZIZQ_E_INVALID_ARG);
    zizq_buf_free(&mp);
    /* Paths are read without decoding the rest, which must still be well formed. */
    static const char page[] = "{\"jobs\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"pages\":{\"next\":\"/jobs?from=b\"}}";
    OK(zizq_doc_get_str(ZIZQ_FORMAT_JSON, DOC(page), "jobs.1.id", &out, &err_));
    EXPECT(out.len == 1 && out.data[0] == 'b');
    zizq_buf_free(&out);
    OK(zizq_doc_get_str(ZIZQ_FORMAT_JSON, DOC(page), "pages.next", &out, &err_));
    EXPECT(out.len == 12);
    zizq_buf_free(&out);
    EXPECT(zizq_doc_get_len(ZIZQ_FORMAT_JSON, DOC("{\"jobs\":[1,2,3]} x"), "jobs", &n, NULL) == ZIZQ_E_DECODE);
    EXPECT(zizq_doc_get_len(ZIZQ_FORMAT_JSON, DOC("{\"jobs\":7}"), "jobs", &n, NULL) == ZIZQ_E_INVALID_ARG);
    /* Same format: checked and copied as given. */
    OK(zizq_doc_transcode(ZIZQ_FORMAT_JSON, ZIZQ_FORMAT_JSON, DOC("{\"a\": 1}"), &out, &err_));
    EXPECT(out.len == 8);
    zizq_buf_free(&out);
    EXPECT(zizq_doc_transcode(ZIZQ_FORMAT_JSON, ZIZQ_FORMAT_JSON, DOC("{\"a\": }"), &out, NULL) == ZIZQ_E_DECODE);
}

static void test_parser(void) {
    zizq_parser *p = NULL;
    zizq_frames *frames = NULL;
    OK(zizq_parser_new(ZIZQ_FORMAT_JSON, 64, &p, &err_));
    OK(zizq_parser_feed(p, DOC("\n{\"id\":\"a\"}\n{\"id\""), &frames, &err_));
    EXPECT(zizq_frames_len(frames) == 1);
    const uint8_t *data = NULL;
    size_t len = 0;
    EXPECT(zizq_frames_get(frames, 0, &data, &len) == ZIZQ_OK && len == 10);
    EXPECT(zizq_frames_get(frames, 1, &data, &len) == ZIZQ_E_INVALID_ARG);
    zizq_frames_free(frames);
    EXPECT(zizq_parser_finish(p, NULL) == ZIZQ_E_STREAM);
    zizq_parser_free(p);

    OK(zizq_parser_new(ZIZQ_FORMAT_MSGPACK, 8, &p, &err_));
    const uint8_t big[] = {0, 0, 0, 200};
    EXPECT(zizq_parser_feed(p, big, sizeof big, &frames, NULL) == ZIZQ_E_FRAME_TOO_LARGE);
    zizq_parser_free(p);
    /* A bad frame: the good ones before it first, then the error, for good. */
    OK(zizq_parser_new(ZIZQ_FORMAT_JSON, 0, &p, &err_));
    OK(zizq_parser_feed(p, DOC("{\"a\":1}\n{bad}\n{\"b\":2}\n"), &frames, &err_));
    EXPECT(zizq_frames_len(frames) == 1);
    zizq_frames_free(frames);
    frames = NULL;
    EXPECT(zizq_parser_feed(p, DOC("{\"c\":3}\n"), &frames, NULL) == ZIZQ_E_DECODE && frames == NULL);
    EXPECT(zizq_parser_finish(p, NULL) == ZIZQ_E_DECODE);
    zizq_parser_free(p);
    OK(zizq_parser_new(ZIZQ_FORMAT_JSON, 0, &p, &err_));
    EXPECT(zizq_parser_feed(p, DOC("[1,\n"), &frames, NULL) == ZIZQ_E_DECODE);
    EXPECT(zizq_parser_feed(p, DOC("{}\n"), &frames, NULL) == ZIZQ_E_DECODE);
    zizq_parser_free(p);
    EXPECT(zizq_parser_new(0, 0, &p, NULL) == ZIZQ_E_INVALID_ARG);
    zizq_parser_free(NULL);
    zizq_frames_free(NULL);
}

struct seen {
    zizq_client *client;
    int connected;
    int jobs;
};

static void on_connect(void *user) { ((struct seen *)user)->connected = 1; }

static int32_t on_job(void *user, const zizq_job *job) {
    struct seen *s = user;
    zizq_status st = zizq_report_success(s->client, job->id, NULL);
    EXPECT(st == ZIZQ_OK);
    s->jobs++;
    return s->jobs >= 2;
}

static void test_jobs(const char *url, int faults) {
    zizq_client *c = NULL;
    zizq_buf out = {0};
    zizq_error *err = NULL;
    int64_t count = -1;
    OK(zizq_client_new(url, DOC("{\"format\":\"json\"}"), &c, &err_));
    OK(zizq_erase_all_data(c, &err_));
    OK(zizq_health(c, &out, &err_));
    EXPECT(buf_eq(&out, "{\"status\":\"ok\"}"));
    zizq_buf_free(&out);
    OK(zizq_server_version(c, &out, &err_));
    EXPECT(strlen(str_at(&out, "version")) > 0);
    zizq_buf_free(&out);

    /* Events: the first request opened a connection; the descriptor is
       readable until the events are read. */
    int efd = zizq_client_events_fd(c);
    EXPECT(efd >= 0);
    struct pollfd epfd = {.fd = efd, .events = POLLIN, .revents = 0};
    EXPECT(poll(&epfd, 1, 0) == 1);
    OK(zizq_client_next_events(c, 0, 0, &out, &err_));
    EXPECT(strcmp(str_at(&out, "0.kind"), "connection_opened") == 0);
    EXPECT(strcmp(str_at(&out, "0.level"), "info") == 0);
    zizq_buf_free(&out);
    EXPECT(poll(&epfd, 1, 0) == 0);
    OK(zizq_client_next_events(c, 10, 0, &out, &err_));
    EXPECT(buf_eq(&out, "[]"));
    zizq_buf_free(&out);
    /* A wakeup ends the next wait at once (here one without a limit), with
       nothing, and is readable on the descriptor until then. */
    EXPECT(zizq_client_events_wakeup(c) == ZIZQ_OK);
    EXPECT(poll(&epfd, 1, 0) == 1);
    OK(zizq_client_next_events(c, 0, -1, &out, &err_));
    EXPECT(buf_eq(&out, "[]"));
    zizq_buf_free(&out);
    EXPECT(poll(&epfd, 1, 0) == 0);
    EXPECT(zizq_client_events_wakeup(NULL) == ZIZQ_E_NULL_ARG);
    EXPECT(zizq_client_next_events(c, 0, 0, NULL, NULL) == ZIZQ_E_NULL_ARG);
    EXPECT(zizq_client_events_fd(NULL) == -1);
    OK(zizq_client_stats(c, &out, &err_));
    EXPECT(int_at(&out, "requests_ok") == 3);
    EXPECT(int_at(&out, "open_connections") == 1);
    zizq_buf_free(&out);

    /* Enqueue, fetch, update, list, count. */
    OK(zizq_enqueue(c, DOC("{\"type\":\"greet\",\"queue\":\"c-test\",\"payload\":{\"name\":\"Ada\"},\"priority\":10}"), &out, &err_));
    char id[64];
    snprintf(id, sizeof id, "%s", str_at(&out, "id"));
    EXPECT(strlen(id) == 25);
    EXPECT(strcmp(str_at(&out, "status"), "ready") == 0);
    zizq_buf_free(&out);
    OK(zizq_get_job(c, id, &out, &err_));
    EXPECT(strcmp(str_at(&out, "payload.name"), "Ada") == 0);
    zizq_buf_free(&out);
    OK(zizq_update_job(c, id, DOC("{\"priority\":3,\"retry_limit\":null}"), &out, &err_));
    EXPECT(int_at(&out, "priority") == 3);
    zizq_buf_free(&out);
    OK(zizq_enqueue_bulk(c, DOC("{\"jobs\":[{\"type\":\"t\",\"queue\":\"c-test\",\"payload\":1},{\"type\":\"t\",\"queue\":\"c-other\",\"payload\":2}]}"), &out, &err_));
    size_t n = 0;
    OK(zizq_doc_get_len(ZIZQ_FORMAT_JSON, out.data, out.len, "jobs", &n, &err_));
    EXPECT(n == 2);
    zizq_buf_free(&out);
    OK(zizq_count_jobs(c, DOC("{\"queue\":\"c-test\"}"), &count, &err_));
    EXPECT(count == 2);
    OK(zizq_list_jobs(c, DOC("{\"queue\":[\"c-test\",\"c-other\"],\"limit\":2}"), &out, &err_));
    char next[256];
    snprintf(next, sizeof next, "%s", str_at(&out, "pages.next"));
    zizq_buf_free(&out);
    EXPECT(next[0] == '/');
    OK(zizq_get_path(c, next, &out, &err_));
    OK(zizq_doc_get_len(ZIZQ_FORMAT_JSON, out.data, out.len, "jobs", &n, &err_));
    EXPECT(n == 1);
    zizq_buf_free(&out);
    zizq_client *scoped = NULL;
    OK(zizq_client_derive(c, &scoped, &err_));
    EXPECT(zizq_client_cancel(scoped) == ZIZQ_OK);
    OK(zizq_health(scoped, &out, &err_)); /* cancel interrupts calls in progress only */
    zizq_buf_free(&out);
    zizq_client_free(scoped);
    OK(zizq_get_queues(c, &out, &err_));
    EXPECT(buf_eq(&out, "{\"queues\":[\"c-other\",\"c-test\"]}"));
    zizq_buf_free(&out);
    OK(zizq_update_all_jobs(c, DOC("{\"where\":{\"queue\":\"c-other\"},\"apply\":{\"priority\":1}}"), &count, &err_));
    EXPECT(count == 1);
    OK(zizq_delete_all_jobs(c, DOC("{\"where\":{\"queue\":\"c-other\"}}"), &count, &err_));
    EXPECT(count == 1);
    OK(zizq_count_jobs(c, DOC("{\"queue\":[]}"), &count, &err_));
    EXPECT(count == 0);

    /* JSON documents over a MessagePack wire (the `documents` option). */
    zizq_client *mp = NULL;
    OK(zizq_client_new(url, DOC("{\"format\":\"msgpack\",\"documents\":\"json\"}"), &mp, &err_));
    EXPECT(zizq_client_format(mp) == ZIZQ_FORMAT_MSGPACK);
    EXPECT(zizq_client_document_format(mp) == ZIZQ_FORMAT_JSON);
    OK(zizq_get_job(mp, id, &out, &err_));
    EXPECT(strcmp(str_at(&out, "id"), id) == 0);
    zizq_buf_free(&out);
    zizq_client_free(mp);

    /* Errors carry the server's message and status. */
    EXPECT(zizq_get_job(c, "nope", &out, &err) == ZIZQ_E_NOT_FOUND);
    EXPECT(zizq_error_http_status(err) == 404);
    EXPECT(strcmp(zizq_error_message(err), "job not found") == 0);
    size_t body_len = 0;
    EXPECT(zizq_error_body(err, &body_len) != NULL && body_len > 0);
    EXPECT(zizq_error_body_format(err) == zizq_client_format(c));
    zizq_error_free(err);
    err = NULL;
    EXPECT(zizq_enqueue(c, DOC("{\"type\":\"t\",\"queue\":\"a,b\",\"payload\":1}"), &out, &err) == ZIZQ_E_CLIENT);
    EXPECT(zizq_error_http_status(err) == 400);
    zizq_error_free(err);
    EXPECT(zizq_enqueue(c, DOC("{\"type\":"), &out, NULL) == ZIZQ_E_DECODE);
    EXPECT(zizq_enqueue(c, NULL, 5, &out, NULL) == ZIZQ_E_NULL_ARG);
    EXPECT(zizq_get_job(c, NULL, &out, NULL) == ZIZQ_E_NULL_ARG);
    EXPECT(zizq_get_job(NULL, id, &out, NULL) == ZIZQ_E_NULL_ARG);

    /* Take stream: pull API with fd and wakeup. */
    zizq_take_stream *s = NULL;
    OK(zizq_take_open(c, DOC("{\"prefetch\":5,\"queues\":[\"c-test\"],\"worker_id\":\"c\"}"), &s, &err_));
    int fd = zizq_take_fd(s);
    EXPECT(fd >= 0);
    struct pollfd pfd = {.fd = fd, .events = POLLIN, .revents = 0};
    EXPECT(poll(&pfd, 1, 5000) == 1);
    /* Collect both jobs (they may arrive in one batch or two). */
    char taken[2][64];
    size_t got = 0;
    zizq_batch *batch = NULL;
    while (got < 2) {
        batch = NULL;
        OK(zizq_take_next(s, 0, 5000, &batch, &err_));
        if (!batch) break;
        const zizq_job *jobs = zizq_batch_jobs(batch);
        size_t len = zizq_batch_len(batch);
        EXPECT(zizq_batch_get(batch, len) == NULL);
        for (size_t i = 0; i < len && got < 2; i++, got++) {
            snprintf(taken[got], sizeof taken[got], "%s", jobs[i].id);
            if (got == 0) {
                EXPECT(strcmp(jobs[i].type, "greet") == 0 && strcmp(jobs[i].queue, "c-test") == 0);
                EXPECT(jobs[i].priority == 3 && jobs[i].attempts == 0 && jobs[i].doc_len > 0);
            }
        }
        zizq_batch_free(batch);
    }
    EXPECT(got == 2 && strcmp(taken[0], id) == 0);
    OK(zizq_report_success(c, id, &err_));
    const char *second = taken[1];
    OK(zizq_report_failure(c, second, DOC("{\"message\":\"boom\",\"error_type\":\"E\",\"retry_at\":4102444800000}"), &out, &err_));
    EXPECT(strcmp(str_at(&out, "status"), "scheduled") == 0);
    zizq_buf_free(&out);
    OK(zizq_list_errors(c, second, DOC("{\"limit\":5}"), &out, &err_));
    EXPECT(strcmp(str_at(&out, "errors.0.message"), "boom") == 0);
    zizq_buf_free(&out);
    OK(zizq_get_error(c, second, 1, &out, &err_));
    EXPECT(strcmp(str_at(&out, "error_type"), "E") == 0);
    zizq_buf_free(&out);
    OK(zizq_report_success_bulk(c, DOC("[\"0000000000000000000000000\"]"), &err_));
    EXPECT(zizq_take_wakeup(s) == ZIZQ_OK);
    batch = (zizq_batch *)1;
    OK(zizq_take_next(s, 0, 10000, &batch, &err_));
    EXPECT(batch == NULL);
    EXPECT(zizq_take_close(s) == ZIZQ_OK);
    EXPECT(zizq_take_next(s, 0, 0, &batch, NULL) == ZIZQ_E_CLOSED);
    zizq_take_free(s);
    /* cleanup_internal_clients: every stream ends, the client stays usable. */
    OK(zizq_take_open(c, NULL, 0, &s, &err_));
    EXPECT(zizq_client_close_streams(c) == ZIZQ_OK);
    EXPECT(zizq_take_next(s, 0, 0, &batch, NULL) == ZIZQ_E_CLOSED);
    zizq_take_free(s);
    EXPECT(zizq_client_close_streams(NULL) == ZIZQ_E_NULL_ARG);
    OK(zizq_delete_job(c, second, &err_));

    /* Callback loop. */
    OK(zizq_enqueue_bulk(c, DOC("{\"jobs\":[{\"type\":\"t\",\"queue\":\"cb\",\"payload\":1},{\"type\":\"t\",\"queue\":\"cb\",\"payload\":2}]}"), &out, &err_));
    zizq_buf_free(&out);
    struct seen seen = {.client = c, .connected = 0, .jobs = 0};
    OK(zizq_take_jobs(c, DOC("{\"queues\":[\"cb\"]}"), on_connect, on_job, &seen, &err_));
    EXPECT(seen.connected && seen.jobs == 2);

    /* Worker. */
    OK(zizq_enqueue_bulk(c, DOC("{\"jobs\":[{\"type\":\"w\",\"queue\":\"w\",\"payload\":1},{\"type\":\"w\",\"queue\":\"w\",\"payload\":2}]}"), &out, &err_));
    zizq_buf_free(&out);
    zizq_worker *w = NULL;
    OK(zizq_worker_new(c, DOC("{\"queues\":[\"w\"],\"prefetch\":4}"), &w, &err_));
    int handled = 0;
    while (handled < 2) {
        batch = NULL;
        OK(zizq_worker_next(w, 1, 5000, &batch, &err_));
        if (!batch) break;
        const zizq_job *job = zizq_batch_get(batch, 0);
        if (handled == 0) {
            OK(zizq_worker_ack(w, job->id, &err_));
        } else {
            OK(zizq_worker_nack(w, job->id, DOC("{\"message\":\"no\",\"kill\":true}"), &err_));
        }
        handled++;
        zizq_batch_free(batch);
    }
    EXPECT(handled == 2);
    EXPECT(zizq_worker_wakeup(w) == ZIZQ_OK);
    struct pollfd wp = {.fd = zizq_worker_fd(w), .events = POLLIN};
    EXPECT(wp.fd >= 0 && zizq_worker_fd(NULL) == -1);
    OK(zizq_worker_shutdown(w, 5000, &err_));
    EXPECT(poll(&wp, 1, 0) == 1); /* readable: next would return ZIZQ_E_CLOSED */
    OK(zizq_worker_stats(w, &out, &err_));
    EXPECT(int_at(&out, "acked") == 1 && int_at(&out, "nacked") == 1 && int_at(&out, "in_flight") == 0);
    EXPECT(strcmp(str_at(&out, "state"), "stopped") == 0);
    zizq_buf_free(&out);
    EXPECT(zizq_worker_ack(w, "x", NULL) == ZIZQ_E_CLOSED);
    zizq_worker_free(w);
    OK(zizq_count_jobs(c, DOC("{\"queue\":\"w\",\"status\":\"dead\"}"), &count, &err_));
    EXPECT(count == 1);

    /* Crons (Pro; a free server answers 403). */
    const char *tier = getenv("ZIZQ_TEST_TIER");
    int free_tier = tier && strcmp(tier, "free") == 0;
    const char *entry = "{\"name\":\"e1\",\"expression\":\"0 * * * *\",\"job\":{\"type\":\"c\",\"queue\":\"crons\",\"payload\":null}}";
    err = NULL;
    zizq_status st = zizq_replace_cron_group(c, "g1", (const uint8_t *)"{\"entries\":[]}", 14, &out, &err);
    if (free_tier) {
        EXPECT(st == ZIZQ_E_CLIENT && zizq_error_http_status(err) == 403);
        zizq_error_free(err);
    } else {
        EXPECT(st == ZIZQ_OK);
        zizq_buf_free(&out);
        OK(zizq_add_cron_group_entry(c, "g1", (const uint8_t *)entry, strlen(entry), &out, &err_));
        zizq_buf_free(&out);
        OK(zizq_get_cron_group_entry(c, "g1", "e1", &out, &err_));
        EXPECT(strcmp(str_at(&out, "expression"), "0 * * * *") == 0);
        zizq_buf_free(&out);
        OK(zizq_replace_cron_group_entry(c, "g1", "e1", DOC("{\"expression\":\"@daily\",\"job\":{\"type\":\"c\",\"queue\":\"crons\",\"payload\":1}}"), &out, &err_));
        zizq_buf_free(&out);
        OK(zizq_update_cron_group_entry(c, "g1", "e1", DOC("{\"paused\":true}"), &out, &err_));
        zizq_buf_free(&out);
        OK(zizq_update_cron_group(c, "g1", DOC("{\"paused\":true}"), &out, &err_));
        zizq_buf_free(&out);
        OK(zizq_get_cron_group(c, "g1", &out, &err_));
        EXPECT(strcmp(str_at(&out, "entries.0.expression"), "@daily") == 0);
        zizq_buf_free(&out);
        OK(zizq_list_cron_groups(c, &out, &err_));
        EXPECT(buf_eq(&out, "{\"crons\":[\"g1\"]}"));
        zizq_buf_free(&out);
        OK(zizq_delete_cron_group_entry(c, "g1", "e1", &err_));
        OK(zizq_delete_cron_group(c, "g1", &err_));
        OK(zizq_delete_all_crons(c, &count, &err_));
        EXPECT(count == 0);
    }

    /* Fault injection through the generic request. */
    if (faults) {
        control(c, "PUT", "/_testserver/faults", "{\"fail_requests\":{\"status\":503,\"count\":1,\"path\":\"/health\"}}");
        err = NULL;
        EXPECT(zizq_health(c, &out, &err) == ZIZQ_E_SERVER);
        EXPECT(zizq_error_retryable(err) && zizq_error_http_status(err) == 503);
        zizq_error_free(err);
        control(c, "DELETE", "/_testserver/faults", NULL);
    }

    /* Fork: the parent's client refuses to work in the child; a new one works. */
    zizq_worker *fw = NULL;
    OK(zizq_worker_new(c, NULL, 0, &fw, &err_));
    zizq_take_stream *fts = NULL;
    OK(zizq_take_open(c, NULL, 0, &fts, &err_));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int code = 0;
        if (zizq_health(c, &out, NULL) != ZIZQ_E_FORKED) code |= 1;
        /* Inherited workers and streams refuse too (their locks may be held by
           threads that do not exist in the child). */
        if (zizq_worker_stats(fw, &out, NULL) != ZIZQ_E_FORKED) code |= 8;
        if (zizq_worker_wakeup(fw) != ZIZQ_E_FORKED) code |= 16;
        if (zizq_take_wakeup(fts) != ZIZQ_E_FORKED) code |= 32;
        if (zizq_take_close(fts) != ZIZQ_E_FORKED) code |= 64;
        if (zizq_client_events_fd(c) != -1) code |= 128;
        if (zizq_client_next_events(c, 0, 0, &out, NULL) != ZIZQ_E_FORKED) code |= 256;
        if (zizq_client_stats(c, &out, NULL) != ZIZQ_E_FORKED) code |= 512;
        if (zizq_client_events_wakeup(c) != ZIZQ_E_FORKED) code |= 1024;
        zizq_client *child = NULL;
        if (zizq_client_new(url, DOC("{\"format\":\"json\"}"), &child, NULL) != ZIZQ_OK) code |= 2;
        if (zizq_health(child, &out, NULL) != ZIZQ_OK) code |= 4;
        zizq_buf_free(&out);
        zizq_client_free(child);
        /* Freeing inherited handles leaks the parent's state on purpose
           (its runtime does not run here): it never blocks or crashes. */
        zizq_worker_free(fw);
        zizq_take_free(fts);
        zizq_client_free(c);
        /* An exit status keeps 8 bits: say which checks failed here. */
        if (code) fprintf(stderr, "fork child: failed checks mask %d\n", code);
        _exit(code != 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    OK(zizq_worker_shutdown(fw, 5000, &err_));
    zizq_worker_free(fw);
    zizq_take_free(fts);
    OK(zizq_health(c, &out, &err_));
    zizq_buf_free(&out);

    OK(zizq_erase_all_data(c, &err_));
    EXPECT(zizq_client_close(c) == ZIZQ_OK);
    /* A closed client hands over its last events, then says it is closed. */
    zizq_status last = ZIZQ_OK;
    for (int i = 0; i < 10000 && last == ZIZQ_OK; i++) {
        last = zizq_client_next_events(c, 0, -1, &out, NULL);
        zizq_buf_free(&out);
    }
    EXPECT(last == ZIZQ_E_CLOSED);
    zizq_client_free(c);
}

/* Wait (poll, 5 s at most) for one completion on `cq` and take it. */
static zizq_completion next_completion(zizq_completion_queue *cq) {
    zizq_completion done;
    memset(&done, 0, sizeof done);
    size_t n = 0;
    struct pollfd pfd = {.fd = zizq_completion_queue_fd(cq), .events = POLLIN, .revents = 0};
    EXPECT(poll(&pfd, 1, 5000) == 1);
    EXPECT(zizq_completion_queue_next(cq, &done, 1, 0, &n) == ZIZQ_OK);
    EXPECT(n == 1);
    return done;
}

/* Start a call on a deferred client; return its ticket (0 if it did not start). */
#define START(call) ((call) == ZIZQ_PENDING ? zizq_last_ticket() : 0)

/* The non-blocking API: completion queues and deferred clients. */
static void test_completion(const char *url, int faults) {
    zizq_client *c = NULL, *dc = NULL;
    zizq_completion_queue *cq = NULL;
    zizq_error *err = NULL;
    zizq_buf out = {0};
    size_t n = 99;
    OK(zizq_client_new(url, DOC("{\"format\":\"json\"}"), &c, &err_));
    OK(zizq_erase_all_data(c, &err_));

    /* Options are checked; a queue starts empty and not readable. */
    EXPECT(zizq_completion_queue_new(DOC("{\"max_pending\":0}"), &cq, &err) == ZIZQ_E_INVALID_ARG);
    EXPECT(strstr(zizq_error_message(err), "max_pending") != NULL);
    zizq_error_free(err);
    err = NULL;
    EXPECT(zizq_completion_queue_new(DOC("{\"bogus\":1}"), &cq, NULL) == ZIZQ_E_INVALID_ARG);
    OK(zizq_completion_queue_new(DOC("{\"max_pending\":4}"), &cq, &err_));
    int fd = zizq_completion_queue_fd(cq);
    EXPECT(fd >= 0);
    struct pollfd pfd = {.fd = fd, .events = POLLIN, .revents = 0};
    EXPECT(poll(&pfd, 1, 0) == 0);
    OK(zizq_completion_queue_next(cq, NULL, 0, 0, &n));
    EXPECT(n == 0);
    zizq_completion slots[4];
    OK(zizq_completion_queue_next(cq, slots, 4, 0, &n));
    EXPECT(n == 0);
    OK(zizq_client_defer(c, cq, &dc, &err_));
    EXPECT(zizq_client_document_format(dc) == ZIZQ_FORMAT_JSON);

    /* A started call answers ZIZQ_PENDING with a ticket; its result is the
       blocking call's: here the created job. The output may be NULL. */
    uint64_t t1 = START(zizq_enqueue(dc, DOC("{\"type\":\"t\",\"queue\":\"cq\",\"payload\":{\"n\":1}}"), NULL, &err));
    EXPECT(t1 > 0 && err == NULL);
    EXPECT(zizq_completion_queue_pending(cq) == 1);
    zizq_completion done = next_completion(cq);
    EXPECT(done.ticket == t1 && done.status == ZIZQ_OK && done.err == NULL);
    char id[64];
    snprintf(id, sizeof id, "%s", str_at(&done.out, "id"));
    EXPECT(strlen(id) > 0);
    EXPECT(strcmp(str_at(&done.out, "queue"), "cq") == 0);
    zizq_completion_free(&done);
    zizq_completion_free(&done); /* a second free does nothing */
    EXPECT(done.out.data == NULL && done.err == NULL);
    EXPECT(zizq_completion_queue_pending(cq) == 0);
    EXPECT(poll(&pfd, 1, 0) == 0);

    /* Counts, raw requests, errors and local answers complete the same way. */
    uint64_t t2 = START(zizq_count_jobs(dc, DOC("{\"queue\":\"cq\"}"), NULL, NULL));
    uint64_t t3 = START(zizq_request(dc, "GET", "/health", NULL, 0, NULL, NULL, NULL));
    uint64_t t4 = START(zizq_get_job(dc, "no-such-job", NULL, NULL));
    uint64_t t5 = START(zizq_count_jobs(dc, DOC("{\"status\":[]}"), NULL, NULL));
    EXPECT(t2 > t1 && t3 > t2 && t4 > t3 && t5 > t4);
    /* Full: a fifth call is refused at once and starts nothing. */
    EXPECT(zizq_health(dc, NULL, &err) == ZIZQ_E_RESOURCE);
    EXPECT(err && strstr(zizq_error_message(err), "max_pending") != NULL);
    zizq_error_free(err);
    err = NULL;
    /* Arguments the call checks itself fail at once, as when blocking. */
    EXPECT(zizq_get_job(dc, NULL, NULL, NULL) == ZIZQ_E_NULL_ARG);
    EXPECT(zizq_enqueue(dc, DOC("{\"queue\":\"cq\"}"), NULL, NULL) == ZIZQ_E_INVALID_ARG);
    int seen = 0;
    for (int round = 0; round < 100 && seen < 4; round++) {
        EXPECT(poll(&pfd, 1, 5000) == 1);
        OK(zizq_completion_queue_next(cq, slots, 4, 0, &n));
        for (size_t i = 0; i < n; i++, seen++) {
            zizq_completion *d = &slots[i];
            if (d->ticket == t2) {
                EXPECT(d->status == ZIZQ_OK && d->count == 1);
            } else if (d->ticket == t3) {
                EXPECT(d->status == ZIZQ_OK && d->http_status == 200);
                EXPECT(buf_eq(&d->out, "{\"status\":\"ok\"}"));
            } else if (d->ticket == t4) {
                EXPECT(d->status == ZIZQ_E_NOT_FOUND && d->err != NULL);
                EXPECT(zizq_error_http_status(d->err) == 404);
                EXPECT(d->out.len == 0);
            } else {
                EXPECT(d->ticket == t5 && d->status == ZIZQ_OK && d->count == 0);
            }
            zizq_completion_free(d);
        }
    }
    EXPECT(seen == 4);
    /* A ticket already taken, or never given, cannot be cancelled. */
    EXPECT(zizq_completion_queue_cancel(cq, t2) == ZIZQ_E_INVALID_ARG);
    EXPECT(zizq_completion_queue_cancel(cq, 1u << 30) == ZIZQ_E_INVALID_ARG);

    /* A take stream opened through a deferred client returns at once; its
       descriptor, the queue's and a plain poll drive take and ack. */
    zizq_take_stream *ts = NULL;
    OK(zizq_take_open(dc, DOC("{\"queues\":[\"cq\"],\"prefetch\":5}"), &ts, &err_));
    struct pollfd tpfd = {.fd = zizq_take_fd(ts), .events = POLLIN, .revents = 0};
    EXPECT(poll(&tpfd, 1, 5000) == 1);
    zizq_batch *batch = NULL;
    OK(zizq_take_next(ts, 0, 0, &batch, &err_));
    EXPECT(zizq_batch_len(batch) == 1);
    uint64_t t6 = START(zizq_report_success(dc, zizq_batch_get(batch, 0)->id, NULL));
    zizq_batch_free(batch);
    done = next_completion(cq);
    EXPECT(done.ticket == t6 && done.status == ZIZQ_OK && done.out.len == 0);
    zizq_completion_free(&done);
    zizq_take_free(ts);
    /* A stream that cannot connect says so through zizq_take_next. */
    zizq_client *dead = NULL, *ddead = NULL;
    OK(zizq_client_new("http://127.0.0.1:1", DOC("{\"connect_timeout_ms\":2000}"), &dead, &err_));
    OK(zizq_client_defer(dead, cq, &ddead, &err_));
    OK(zizq_take_open(ddead, NULL, 0, &ts, &err_));
    tpfd.fd = zizq_take_fd(ts);
    EXPECT(poll(&tpfd, 1, 5000) == 1);
    EXPECT(zizq_take_next(ts, 0, 0, &batch, NULL) == ZIZQ_E_CONNECTION);
    zizq_take_free(ts);
    /* Nor does a call wait for a connection: it fails as a completion. */
    uint64_t t7 = START(zizq_health(ddead, NULL, NULL));
    EXPECT(t7 > 0);
    done = next_completion(cq);
    EXPECT(done.ticket == t7 && done.status == ZIZQ_E_CONNECTION);
    EXPECT(zizq_error_retryable(done.err) == 1);
    zizq_completion_free(&done);
    zizq_client_free(ddead);
    zizq_client_free(dead);

    if (faults) {
        /* A slow server: cancel one call, free the deferred handle of
           another, close the client of a third, then the queue. */
        control(c, "PUT", "/_testserver/faults", "{\"delay_ms\":3000}");
        uint64_t slow = START(zizq_health(dc, NULL, NULL));
        EXPECT(slow > 0);
        OK(zizq_completion_queue_cancel(cq, slow));
        OK(zizq_completion_queue_cancel(cq, slow)); /* still pending: no harm */
        done = next_completion(cq);
        EXPECT(done.ticket == slow && done.status == ZIZQ_E_CANCELLED);
        zizq_completion_free(&done);

        zizq_client *dc2 = NULL;
        OK(zizq_client_defer(c, cq, &dc2, &err_));
        uint64_t dropped = START(zizq_get_queues(dc2, NULL, NULL));
        zizq_client_free(dc2);
        done = next_completion(cq);
        EXPECT(done.ticket == dropped && done.status == ZIZQ_E_CANCELLED);
        zizq_completion_free(&done);

        zizq_client *c3 = NULL, *dc3 = NULL;
        OK(zizq_client_new(url, DOC("{\"format\":\"json\"}"), &c3, &err_));
        OK(zizq_client_defer(c3, cq, &dc3, &err_));
        uint64_t closing = START(zizq_health(dc3, NULL, NULL));
        EXPECT(zizq_client_close(c3) == ZIZQ_OK);
        done = next_completion(cq);
        EXPECT(done.ticket == closing && done.status == ZIZQ_E_CLOSED);
        zizq_completion_free(&done);
        EXPECT(zizq_health(dc3, NULL, NULL) == ZIZQ_E_CLOSED);
        zizq_client_free(dc3);
        zizq_client_free(c3);

        uint64_t a = START(zizq_health(dc, NULL, NULL));
        uint64_t b = START(zizq_server_version(dc, NULL, NULL));
        EXPECT(a > 0 && b > 0);
        OK(zizq_completion_queue_close(cq));
        EXPECT(zizq_completion_queue_close(cq) == ZIZQ_OK);
        EXPECT(zizq_health(dc, NULL, NULL) == ZIZQ_E_CLOSED);
        int closed = 0;
        for (int round = 0; round < 10 && closed < 2; round++) {
            OK(zizq_completion_queue_next(cq, slots, 4, 5000, &n));
            for (size_t i = 0; i < n; i++, closed++) {
                EXPECT(slots[i].status == ZIZQ_E_CLOSED);
                zizq_completion_free(&slots[i]);
            }
        }
        EXPECT(closed == 2);
        /* Closed and empty: readable, and says so. */
        EXPECT(poll(&pfd, 1, 0) == 1);
        EXPECT(zizq_completion_queue_next(cq, slots, 4, -1, &n) == ZIZQ_E_CLOSED);
        control(c, "DELETE", "/_testserver/faults", NULL);
    }

    /* Misuse: NULL everywhere, and a queue inherited across fork. */
    EXPECT(zizq_completion_queue_new(NULL, 0, NULL, NULL) == ZIZQ_E_NULL_ARG);
    EXPECT(zizq_completion_queue_next(NULL, slots, 4, 0, &n) == ZIZQ_E_NULL_ARG);
    EXPECT(zizq_completion_queue_next(cq, NULL, 4, 0, &n) == ZIZQ_E_NULL_ARG);
    EXPECT(zizq_completion_queue_next(cq, slots, 4, 0, NULL) == ZIZQ_E_NULL_ARG);
    EXPECT(zizq_completion_queue_cancel(NULL, 1) == ZIZQ_E_NULL_ARG);
    EXPECT(zizq_completion_queue_close(NULL) == ZIZQ_E_NULL_ARG);
    EXPECT(zizq_completion_queue_fd(NULL) == -1);
    EXPECT(zizq_completion_queue_pending(NULL) == 0);
    EXPECT(zizq_client_defer(c, NULL, &dc, NULL) == ZIZQ_E_NULL_ARG);
    EXPECT(zizq_client_defer(NULL, cq, &dc, NULL) == ZIZQ_E_NULL_ARG);
    zizq_completion_free(NULL);
    zizq_completion_queue_free(NULL);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int code = 0;
        size_t m = 0;
        zizq_client *child = NULL;
        if (zizq_completion_queue_next(cq, slots, 4, 0, &m) != ZIZQ_E_FORKED) code |= 1;
        if (zizq_completion_queue_fd(cq) != -1) code |= 2;
        if (zizq_completion_queue_cancel(cq, 1) != ZIZQ_E_FORKED) code |= 4;
        if (zizq_health(dc, NULL, NULL) != ZIZQ_E_FORKED) code |= 8;
        if (zizq_client_defer(c, cq, &child, NULL) != ZIZQ_E_FORKED) code |= 16;
        zizq_completion_queue_free(cq);
        zizq_client_free(dc);
        /* An exit status keeps 8 bits: say which checks failed here. */
        if (code) fprintf(stderr, "fork child: failed checks mask %d\n", code);
        _exit(code != 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Freeing a queue with calls running is allowed: they stop with it. */
    zizq_completion_queue *cq2 = NULL;
    zizq_client *dc4 = NULL;
    OK(zizq_completion_queue_new(NULL, 0, &cq2, &err_));
    OK(zizq_client_defer(c, cq2, &dc4, &err_));
    EXPECT(START(zizq_health(dc4, NULL, NULL)) > 0);
    zizq_completion_queue_free(cq2);
    EXPECT(zizq_health(dc4, NULL, NULL) == ZIZQ_E_CLOSED);
    zizq_client_free(dc4);

    zizq_client_free(dc);
    zizq_completion_queue_free(cq);
    OK(zizq_erase_all_data(c, &err_));
    zizq_buf_free(&out);
    zizq_client_free(c);
}

int main(void) {
    const char *url = getenv("ZIZQ_TEST_URL");
    int faults = url == NULL;
    if (!url) url = getenv("ZIZQ_URL");
    if (!url) {
        fprintf(stderr, "abi_test: set ZIZQ_URL (a zizq-testserver) or ZIZQ_TEST_URL\n");
        return 2;
    }
    test_basics();
    test_parser();
    test_jobs(url, faults);
    test_completion(url, faults);
    printf("abi_test: %d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
