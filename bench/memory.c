/*
 * memory.c — resident memory of a long-running libzizq worker.
 *
 * One process enqueues JOB_COUNT (1,000,000) jobs on queue "memory_bench" in
 * bulk chunks of 1000 while the core worker, with CONCURRENCY (25) handler
 * threads and PREFETCH (2 x CONCURRENCY), takes and acks them. The producer
 * keeps at most BACKLOG (20000) jobs waiting, so the server never holds the
 * whole million at once. Every 100,000 handled jobs the handler that reached
 * the mark reads VmRSS and VmHWM (peak RSS) from /proc/self/status.
 *
 * Environment: ZIZQ_URL, ZIZQ_FORMAT (msgpack|json), JOB_COUNT, CONCURRENCY,
 * PREFETCH, BACKLOG.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zizq.h"

#define QUEUE "memory_bench"
#define CHUNK 1000
#define MARK 100000

static int format_id;
static double started;

static void fail(const char *what, zizq_status st, zizq_error *err) {
    fprintf(stderr, "memory: %s: %s %s\n", what, zizq_status_name((int32_t)st),
            err ? zizq_error_message(err) : "");
    exit(1);
}

static long env_long(const char *name, long fallback) {
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : fallback;
}

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* VmRSS and VmHWM in kB, from /proc/self/status. */
static void rss_kb(long *rss, long *hwm) {
    *rss = *hwm = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) *rss = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "VmHWM:", 6) == 0) *hwm = strtol(line + 6, NULL, 10);
    }
    fclose(f);
}

static void sample(const char *label) {
    long rss, hwm;
    rss_kb(&rss, &hwm);
    printf("%-26s VmRSS %6ld kB (%5.1f MiB)   VmHWM %6ld kB (%5.1f MiB)   %5.1fs\n", label,
           rss, rss / 1024.0, hwm, hwm / 1024.0, seconds() - started);
    fflush(stdout);
}

/* Convert a JSON text to the client's format. */
static void to_doc(const char *json, size_t len, zizq_buf *out) {
    zizq_error *err = NULL;
    zizq_status st = zizq_doc_transcode(ZIZQ_FORMAT_JSON, format_id, (const uint8_t *)json, len,
                                        out, &err);
    if (st != ZIZQ_OK) fail("transcode", st, err);
}

struct shared {
    zizq_worker *worker;
    atomic_long handled;
    long count;
};

static void *handler(void *arg) {
    struct shared *s = arg;
    while (atomic_load(&s->handled) < s->count) {
        zizq_batch *batch = NULL;
        zizq_error *err = NULL;
        zizq_status st = zizq_worker_next(s->worker, 1, 100, &batch, &err);
        if (st == ZIZQ_E_CLOSED) { zizq_error_free(err); return NULL; }
        if (st != ZIZQ_OK) fail("worker_next", st, err);
        for (size_t i = 0; i < zizq_batch_len(batch); i++) {
            st = zizq_worker_ack(s->worker, zizq_batch_get(batch, i)->id, &err);
            if (st != ZIZQ_OK) fail("worker_ack", st, err);
            long n = atomic_fetch_add(&s->handled, 1) + 1;
            /* The last job: release the other handlers from their wait. */
            if (n == s->count) zizq_worker_wakeup(s->worker);
            if (n % MARK == 0 || n == s->count) {
                char label[64];
                snprintf(label, sizeof label, "after %ld jobs:", n);
                sample(label);
            }
        }
        zizq_batch_free(batch);
    }
    return NULL;
}

int main(void) {
    const char *url = getenv("ZIZQ_URL") ? getenv("ZIZQ_URL") : "http://127.0.0.1:7890";
    const char *format = getenv("ZIZQ_FORMAT") ? getenv("ZIZQ_FORMAT") : "msgpack";
    long count = env_long("JOB_COUNT", 1000000);
    long concurrency = env_long("CONCURRENCY", 25);
    long prefetch = env_long("PREFETCH", 2 * concurrency);
    long backlog = env_long("BACKLOG", 20000);
    if (count < 1 || concurrency < 1 || prefetch < 0 || backlog < CHUNK) {
        fprintf(stderr, "memory: invalid JOB_COUNT/CONCURRENCY/PREFETCH/BACKLOG\n");
        return 2;
    }
    format_id = strcmp(format, "json") == 0 ? ZIZQ_FORMAT_JSON : ZIZQ_FORMAT_MSGPACK;
    started = seconds();
    sample("at start:");

    char text[256];
    int n = snprintf(text, sizeof text, "{\"format\":\"%s\"}", format);
    zizq_client *client = NULL;
    zizq_error *err = NULL;
    zizq_status st = zizq_client_new(url, (const uint8_t *)text, (size_t)n, &client, &err);
    if (st != ZIZQ_OK) fail("client_new", st, err);

    zizq_buf doc = {0};
    n = snprintf(text, sizeof text, "{\"where\":{\"queue\":\"%s\"}}", QUEUE);
    to_doc(text, (size_t)n, &doc);
    int64_t deleted = 0;
    st = zizq_delete_all_jobs(client, doc.data, doc.len, &deleted, &err);
    if (st != ZIZQ_OK) fail("delete_all_jobs", st, err);
    zizq_buf_free(&doc);

    struct shared s = {.worker = NULL, .count = count};
    atomic_init(&s.handled, 0);
    n = snprintf(text, sizeof text, "{\"queues\":[\"%s\"],\"prefetch\":%ld}", QUEUE, prefetch);
    to_doc(text, (size_t)n, &doc);
    st = zizq_worker_new(client, doc.data, doc.len, &s.worker, &err);
    if (st != ZIZQ_OK) fail("worker_new", st, err);
    zizq_buf_free(&doc);

    pthread_t *threads = calloc((size_t)concurrency, sizeof *threads);
    if (!threads) return 1;
    for (long i = 0; i < concurrency; i++) pthread_create(&threads[i], NULL, handler, &s);
    sample("client + worker started:");

    /* Producer: bulk chunks of 1000, at most `backlog` jobs waiting. */
    size_t cap = 32 + CHUNK * 80;
    char *json = malloc(cap);
    if (!json) return 1;
    for (long next = 0; next < count;) {
        if (next - atomic_load(&s.handled) > backlog) { sleep_ms(1); continue; }
        long end = next + CHUNK < count ? next + CHUNK : count;
        size_t len = (size_t)snprintf(json, cap, "{\"jobs\":[");
        for (long i = next; i < end; i++)
            len += (size_t)snprintf(json + len, cap - len,
                                    "%s{\"type\":\"mem\",\"queue\":\"" QUEUE "\",\"payload\":{\"n\":%ld}}",
                                    i == next ? "" : ",", i);
        len += (size_t)snprintf(json + len, cap - len, "]}");
        to_doc(json, len, &doc);
        zizq_buf reply = {0};
        st = zizq_enqueue_bulk(client, doc.data, doc.len, &reply, &err);
        if (st != ZIZQ_OK) fail("enqueue_bulk", st, err);
        zizq_buf_free(&reply);
        zizq_buf_free(&doc);
        next = end;
    }
    free(json);

    for (long i = 0; i < concurrency; i++) pthread_join(threads[i], NULL);
    st = zizq_worker_shutdown(s.worker, 30000, &err);
    if (st != ZIZQ_OK) fail("worker_shutdown", st, err);
    sample("after worker shutdown:");
    printf("handled %ld jobs in %.1fs (%.0f jobs/sec, enqueue and dequeue in one process)\n",
           atomic_load(&s.handled), seconds() - started,
           (double)atomic_load(&s.handled) / (seconds() - started));

    free(threads);
    zizq_worker_free(s.worker);
    zizq_client_close(client);
    zizq_client_free(client);
    return 0;
}
