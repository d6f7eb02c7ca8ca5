/*
 * events.c — print what the library reports while a worker runs: its
 * events (pulled on this thread, with poll() on the events descriptor) and
 * the client's figures at the end.
 *
 *   ZIZQ_URL=http://127.0.0.1:7890 ./events
 *
 * Against zizq-testserver it also asks the server to end its take streams
 * once, so that the worker's reconnect shows up in the events.
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zizq.h"

static void check(zizq_status status, zizq_error *err, const char *what) {
    if (status == ZIZQ_OK) return;
    fprintf(stderr, "%s failed: %s: %s\n", what, zizq_status_name((int32_t)status),
            zizq_error_message(err));
    zizq_error_free(err);
    exit(1);
}

/* The string at `path` of a JSON document, printed into `dst`. */
static const char *field(const zizq_buf *doc, const char *path, char *dst, size_t cap) {
    zizq_buf v = {0};
    dst[0] = '\0';
    if (zizq_doc_get_str(ZIZQ_FORMAT_JSON, doc->data, doc->len, path, &v, NULL) == ZIZQ_OK) {
        snprintf(dst, cap, "%.*s", (int)v.len, (const char *)v.data);
    }
    zizq_buf_free(&v);
    return dst;
}

/* Print every queued event, one line each: level, area.kind, message. */
static void print_events(zizq_client *client, int64_t timeout_ms) {
    zizq_buf events = {0};
    zizq_error *err = NULL;
    if (zizq_client_next_events(client, 0, timeout_ms, &events, &err) != ZIZQ_OK) {
        zizq_error_free(err); /* ZIZQ_E_CLOSED: nothing more will come */
        return;
    }
    size_t n = 0;
    zizq_doc_get_len(ZIZQ_FORMAT_JSON, events.data, events.len, "", &n, NULL);
    for (size_t i = 0; i < n; i++) {
        char path[32], level[16], area[16], kind[64], message[512];
#define AT(key, dst) (snprintf(path, sizeof path, "%zu." key, i), field(&events, path, dst, sizeof dst))
        printf("[%-5s] %s.%s: %s\n", AT("level", level), AT("area", area), AT("kind", kind),
               AT("message", message));
#undef AT
    }
    zizq_buf_free(&events);
}

int main(void) {
    const char *url = getenv("ZIZQ_URL") ? getenv("ZIZQ_URL") : "http://127.0.0.1:7890";
    const char *options = "{\"format\":\"json\",\"log_level\":\"debug\"}";
    zizq_client *client = NULL;
    zizq_error *err = NULL;
    check(zizq_client_new(url, (const uint8_t *)options, strlen(options), &client, &err), err,
          "zizq_client_new");
    zizq_buf out = {0};
    const char *job = "{\"type\":\"t\",\"queue\":\"events-demo\",\"payload\":1}";
    check(zizq_enqueue(client, (const uint8_t *)job, strlen(job), &out, &err), err, "zizq_enqueue");
    zizq_buf_free(&out);

    const char *wopts = "{\"queues\":[\"events-demo\"],\"backoff_min_ms\":100}";
    zizq_worker *worker = NULL;
    check(zizq_worker_new(client, (const uint8_t *)wopts, strlen(wopts), &worker, &err), err,
          "zizq_worker_new");
    struct pollfd events_fd = {.fd = zizq_client_events_fd(client), .events = POLLIN};
    int done = 0;
    while (done < 2) {
        zizq_batch *batch = NULL;
        check(zizq_worker_next(worker, 1, 200, &batch, &err), err, "zizq_worker_next");
        size_t got = batch ? zizq_batch_len(batch) : 0;
        for (size_t i = 0; i < got; i++) {
            check(zizq_worker_ack(worker, zizq_batch_get(batch, i)->id, &err), err, "zizq_worker_ack");
            done++;
        }
        zizq_batch_free(batch);
        /* Between jobs, print whatever the library reported, without blocking. */
        if (poll(&events_fd, 1, 0) == 1) print_events(client, 0);
        if (done == 1 && got > 0) {
            /* zizq-testserver only: end the take streams (a real server
               answers 404), then enqueue a job that only the reconnected
               stream can take. */
            uint16_t http = 0;
            zizq_request(client, "POST", "/_testserver/close_streams", NULL, 0, &http, &out, NULL);
            zizq_buf_free(&out);
            check(zizq_enqueue(client, (const uint8_t *)job, strlen(job), &out, &err), err,
                  "zizq_enqueue");
            zizq_buf_free(&out);
        }
    }
    check(zizq_worker_shutdown(worker, 5000, &err), err, "zizq_worker_shutdown");
    zizq_worker_free(worker);
    print_events(client, 100);

    check(zizq_client_stats(client, &out, &err), err, "zizq_client_stats");
    printf("stats: %.*s\n", (int)out.len, (const char *)out.data);
    zizq_buf_free(&out);
    zizq_client_close(client);
    print_events(client, 0);
    zizq_client_free(client);
    return 0;
}
