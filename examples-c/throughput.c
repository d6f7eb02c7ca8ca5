/*
 * throughput.c — the official Zizq clients' throughput benchmark, on libzizq.
 *
 * Environment: ZIZQ_URL (http://127.0.0.1:7890), ZIZQ_FORMAT (msgpack|json),
 * JOB_COUNT (10000), CONCURRENCY (25), PREFETCH (2 x CONCURRENCY).
 *
 * 1. delete leftover jobs on the benchmark queue;
 * 2. bulk-enqueue JOB_COUNT jobs in chunks of 1000;
 * 3. scan them with list_jobs, 2000 per page, following `pages.next`;
 * 4. run the core worker with CONCURRENCY handler threads (each takes one
 *    job at a time and acks it) until JOB_COUNT jobs were handled, then shut
 *    the worker down (every ack delivered).
 *
 * Prints exactly three lines:
 *   Enqueued N jobs in S.SSs (R jobs/sec)
 *   Scanned N jobs in S.SSs (R jobs/sec)
 *   Dequeued N jobs in S.SSs (R jobs/sec)
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zizq.h"

#define QUEUE "throughput_bench"
#define CHUNK 1000

static int format_id;

static void die(const char *what, zizq_status st, zizq_error *err) {
    fprintf(stderr, "throughput: %s failed: %s: %s\n", what,
            zizq_status_name((int32_t)st), err ? zizq_error_message(err) : "");
    exit(1);
}

static long env_long(const char *name, long fallback) {
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : fallback;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Encode a JSON text in the client's format (into *out). */
static void encode(const char *json, size_t len, zizq_buf *out) {
    zizq_error *err = NULL;
    zizq_status st = zizq_doc_transcode(ZIZQ_FORMAT_JSON, format_id,
                                        (const uint8_t *)json, len, out, &err);
    if (st != ZIZQ_OK) die("encode", st, err);
}

static void report(const char *verb, long n, double secs) {
    printf("%s %ld jobs in %.2fs (%.0f jobs/sec)\n", verb, n, secs, (double)n / secs);
}

struct handlers {
    zizq_worker *worker;
    atomic_long handled;
    long target;
};

static void *handle_jobs(void *arg) {
    struct handlers *h = arg;
    while (atomic_load(&h->handled) < h->target) {
        zizq_batch *batch = NULL;
        zizq_error *err = NULL;
        zizq_status st = zizq_worker_next(h->worker, 1, 100, &batch, &err);
        if (st == ZIZQ_E_CLOSED) { zizq_error_free(err); break; }
        if (st != ZIZQ_OK) die("worker_next", st, err);
        for (size_t i = 0; i < zizq_batch_len(batch); i++) {
            const zizq_job *job = zizq_batch_get(batch, i);
            st = zizq_worker_ack(h->worker, job->id, &err);
            if (st != ZIZQ_OK) die("worker_ack", st, err);
            /* The last job wakes every handler still waiting in next(). */
            if (atomic_fetch_add(&h->handled, 1) + 1 == h->target)
                zizq_worker_wakeup(h->worker);
        }
        zizq_batch_free(batch);
    }
    return NULL;
}

int main(void) {
    const char *url = getenv("ZIZQ_URL") ? getenv("ZIZQ_URL") : "http://127.0.0.1:7890";
    const char *format = getenv("ZIZQ_FORMAT") ? getenv("ZIZQ_FORMAT") : "msgpack";
    long count = env_long("JOB_COUNT", 10000);
    long concurrency = env_long("CONCURRENCY", 25);
    long prefetch = env_long("PREFETCH", 2 * concurrency);
    if (count < 1 || concurrency < 1 || prefetch < 0) {
        fprintf(stderr, "throughput: invalid JOB_COUNT/CONCURRENCY/PREFETCH\n");
        return 2;
    }
    format_id = strcmp(format, "json") == 0 ? ZIZQ_FORMAT_JSON : ZIZQ_FORMAT_MSGPACK;

    char options[64];
    snprintf(options, sizeof options, "{\"format\":\"%s\"}", format);
    zizq_client *client = NULL;
    zizq_error *err = NULL;
    zizq_status st = zizq_client_new(url, (const uint8_t *)options, strlen(options), &client, &err);
    if (st != ZIZQ_OK) die("client_new", st, err);

    /* 1. Clean up leftovers. */
    zizq_buf doc = {0};
    const char *where = "{\"where\":{\"queue\":\"" QUEUE "\"}}";
    encode(where, strlen(where), &doc);
    int64_t deleted = 0;
    st = zizq_delete_all_jobs(client, doc.data, doc.len, &deleted, &err);
    if (st != ZIZQ_OK) die("delete_all_jobs", st, err);
    zizq_buf_free(&doc);

    /* 2. Bulk enqueue in chunks of 1000. */
    size_t cap = 64 + CHUNK * 96;
    char *json = malloc(cap);
    if (!json) return 1;
    double t0 = now_s();
    for (long start = 0; start < count; start += CHUNK) {
        long end = start + CHUNK < count ? start + CHUNK : count;
        size_t len = (size_t)snprintf(json, cap, "{\"jobs\":[");
        for (long i = start; i < end; i++) {
            len += (size_t)snprintf(json + len, cap - len,
                "%s{\"type\":\"bench\",\"queue\":\"" QUEUE "\",\"payload\":{\"n\":%ld}}",
                i == start ? "" : ",", i);
        }
        len += (size_t)snprintf(json + len, cap - len, "]}");
        encode(json, len, &doc);
        zizq_buf out = {0};
        st = zizq_enqueue_bulk(client, doc.data, doc.len, &out, &err);
        if (st != ZIZQ_OK) die("enqueue_bulk", st, err);
        zizq_buf_free(&out);
        zizq_buf_free(&doc);
    }
    report("Enqueued", count, now_s() - t0);
    free(json);

    /* 3. Scan, 2000 per page. */
    t0 = now_s();
    long scanned = 0;
    const char *first = "{\"queue\":\"" QUEUE "\",\"limit\":2000}";
    encode(first, strlen(first), &doc);
    zizq_buf page = {0};
    st = zizq_list_jobs(client, doc.data, doc.len, &page, &err);
    if (st != ZIZQ_OK) die("list_jobs", st, err);
    zizq_buf_free(&doc);
    for (;;) {
        size_t n = 0;
        st = zizq_doc_get_len(format_id, page.data, page.len, "jobs", &n, &err);
        if (st != ZIZQ_OK) die("read page", st, err);
        scanned += (long)n;
        zizq_buf next = {0};
        st = zizq_doc_get_str(format_id, page.data, page.len, "pages.next", &next, &err);
        zizq_buf_free(&page);
        if (st != ZIZQ_OK) { zizq_error_free(err); err = NULL; break; } /* null: last page */
        char *path = malloc(next.len + 1);
        if (!path) return 1;
        memcpy(path, next.data, next.len);
        path[next.len] = '\0';
        zizq_buf_free(&next);
        st = zizq_get_path(client, path, &page, &err);
        free(path);
        if (st != ZIZQ_OK) die("get_path", st, err);
    }
    report("Scanned", scanned, now_s() - t0);

    /* 4. Dequeue with the worker. */
    char wopts[160];
    snprintf(wopts, sizeof wopts, "{\"queues\":[\"" QUEUE "\"],\"prefetch\":%ld}", prefetch);
    encode(wopts, strlen(wopts), &doc);
    struct handlers h = {.worker = NULL, .target = count};
    atomic_init(&h.handled, 0);
    t0 = now_s();
    st = zizq_worker_new(client, doc.data, doc.len, &h.worker, &err);
    if (st != ZIZQ_OK) die("worker_new", st, err);
    zizq_buf_free(&doc);
    pthread_t *threads = calloc((size_t)concurrency, sizeof *threads);
    if (!threads) return 1;
    for (long i = 0; i < concurrency; i++) pthread_create(&threads[i], NULL, handle_jobs, &h);
    for (long i = 0; i < concurrency; i++) pthread_join(threads[i], NULL);
    st = zizq_worker_shutdown(h.worker, 30000, &err);
    if (st != ZIZQ_OK) die("worker_shutdown", st, err);
    report("Dequeued", atomic_load(&h.handled), now_s() - t0);

    free(threads);
    zizq_worker_free(h.worker);
    zizq_client_close(client);
    zizq_client_free(client);
    return 0;
}
