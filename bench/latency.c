/*
 * latency.c — idle request latencies: one request at a time, median and p90
 * of each kind, against ZIZQ_URL (msgpack). The issue 14 calibration target
 * for the cost-shaped test server: on an idle real Zizq 0.6.1 server an ack
 * took 0.43 ms (p50), an enqueue 0.49 ms and a count 0.47 ms.
 *
 * Environment: ZIZQ_URL (http://127.0.0.1:7890), COUNT (200 per kind).
 * Steps: enqueue COUNT jobs one by one; count the queue COUNT times; take the
 * jobs on one stream (prefetch COUNT) and ack each with its own request.
 * Then bursts: BURSTS (10) times, BURST (25) jobs enqueued in one request
 * reach a worker whose BURST threads all wait for jobs; each job holds its
 * thread for 50 ms, so every job must start on a thread of its own. Reported:
 * when the first and the last of them started, from the start of the
 * enqueue request.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "zizq.h"

#define QUEUE "latency_bench"

static void check(const char *what, zizq_status st, zizq_error *err) {
    if (st == ZIZQ_OK) return;
    fprintf(stderr, "latency: %s failed: %s: %s\n", what, zizq_status_name((int32_t)st),
            err ? zizq_error_message(err) : "");
    exit(1);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *kind, double *ms, long n) {
    qsort(ms, (size_t)n, sizeof *ms, by_value);
    printf("%-8s p50 %.3f ms  p90 %.3f ms  (%ld)\n", kind, ms[n / 2], ms[n * 9 / 10], n);
}

/* A JSON text as a document of the client's format (msgpack). */
static zizq_buf doc(const char *json) {
    zizq_buf out = {0};
    zizq_error *err = NULL;
    check("encode", zizq_doc_transcode(ZIZQ_FORMAT_JSON, ZIZQ_FORMAT_MSGPACK,
                                       (const uint8_t *)json, strlen(json), &out, &err), err);
    return out;
}

/* One handler thread of the burst worker: take one job, note when, hold
   the thread as a slow job would, ack. */
static zizq_worker *burst_worker;

static void *burst_handler(void *started) {
    zizq_batch *batch = NULL;
    zizq_error *err = NULL;
    check("worker_next", zizq_worker_next(burst_worker, 1, 5000, &batch, &err), err);
    if (zizq_batch_len(batch) != 1) {
        fprintf(stderr, "latency: a burst job did not come within 5 s\n");
        exit(1);
    }
    *(double *)started = now_ms();
    char id[64];
    snprintf(id, sizeof id, "%s", zizq_batch_get(batch, 0)->id);
    zizq_batch_free(batch);
    nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
    check("worker_ack", zizq_worker_ack(burst_worker, id, &err), err);
    return NULL;
}

static void bursts(zizq_client *client, long bursts, long size) {
    double *first = malloc((size_t)bursts * sizeof *first);
    double *last = malloc((size_t)bursts * sizeof *last);
    double *started = malloc((size_t)size * sizeof *started);
    pthread_t *threads = malloc((size_t)size * sizeof *threads);
    size_t cap = 64 + (size_t)size * 64;
    char *jobs = malloc(cap);
    if (!first || !last || !started || !threads || !jobs) exit(1);
    size_t len = (size_t)snprintf(jobs, cap, "{\"jobs\":[");
    for (long i = 0; i < size; i++)
        len += (size_t)snprintf(jobs + len, cap - len, "%s{\"type\":\"burst\",\"queue\":\"" QUEUE
                                "_burst\",\"payload\":{}}", i ? "," : "");
    snprintf(jobs + len, cap - len, "]}");
    zizq_buf jobs_doc = doc(jobs);
    char options[128];
    snprintf(options, sizeof options, "{\"queues\":[\"" QUEUE "_burst\"],\"concurrency\":%ld,"
             "\"prefetch\":%ld}", size, size);
    zizq_buf options_doc = doc(options);
    zizq_error *err = NULL;
    check("worker_new", zizq_worker_new(client, options_doc.data, options_doc.len, &burst_worker,
                                        &err), err);
    for (long b = 0; b < bursts; b++) {
        for (long i = 0; i < size; i++)
            pthread_create(&threads[i], NULL, burst_handler, &started[i]);
        /* Let every thread fall asleep waiting. */
        nanosleep(&(struct timespec){.tv_nsec = 200 * 1000 * 1000}, NULL);
        zizq_buf out = {0};
        double t0 = now_ms();
        check("enqueue_bulk", zizq_enqueue_bulk(client, jobs_doc.data, jobs_doc.len, &out, &err),
              err);
        zizq_buf_free(&out);
        for (long i = 0; i < size; i++) pthread_join(threads[i], NULL);
        first[b] = last[b] = started[0] - t0;
        for (long i = 1; i < size; i++) {
            if (started[i] - t0 < first[b]) first[b] = started[i] - t0;
            if (started[i] - t0 > last[b]) last[b] = started[i] - t0;
        }
    }
    check("worker_shutdown", zizq_worker_shutdown(burst_worker, 5000, &err), err);
    zizq_worker_free(burst_worker);
    char kind[48];
    snprintf(kind, sizeof kind, "burst of %ld: first job", size);
    report(kind, first, bursts);
    snprintf(kind, sizeof kind, "burst of %ld: last job", size);
    report(kind, last, bursts);
    zizq_buf_free(&jobs_doc);
    zizq_buf_free(&options_doc);
    free(first), free(last), free(started), free(threads), free(jobs);
}

int main(void) {
    const char *url = getenv("ZIZQ_URL") ? getenv("ZIZQ_URL") : "http://127.0.0.1:7890";
    long n = getenv("COUNT") ? strtol(getenv("COUNT"), NULL, 10) : 200;
    long burst_count = getenv("BURSTS") ? strtol(getenv("BURSTS"), NULL, 10) : 10;
    long burst_size = getenv("BURST") ? strtol(getenv("BURST"), NULL, 10) : 25;
    if (n < 1 || burst_count < 1 || burst_size < 1) return 2;
    double *ms = malloc((size_t)n * sizeof *ms);
    if (!ms) return 1;
    zizq_client *client = NULL;
    zizq_error *err = NULL;
    const char *options = "{\"format\":\"msgpack\"}";
    check("client_new", zizq_client_new(url, (const uint8_t *)options, strlen(options),
                                        &client, &err), err);
    zizq_buf where = doc("{\"where\":{\"queue\":\"" QUEUE "\"}}");
    int64_t count = 0;
    check("delete_all_jobs", zizq_delete_all_jobs(client, where.data, where.len, &count, &err), err);
    zizq_buf_free(&where);

    zizq_buf job = doc("{\"type\":\"latency\",\"queue\":\"" QUEUE "\",\"payload\":{}}");
    for (long i = 0; i < n; i++) {
        zizq_buf out = {0};
        double t0 = now_ms();
        check("enqueue", zizq_enqueue(client, job.data, job.len, &out, &err), err);
        ms[i] = now_ms() - t0;
        zizq_buf_free(&out);
    }
    zizq_buf_free(&job);
    report("enqueue", ms, n);

    zizq_buf filter = doc("{\"queue\":\"" QUEUE "\"}");
    for (long i = 0; i < n; i++) {
        double t0 = now_ms();
        check("count_jobs", zizq_count_jobs(client, filter.data, filter.len, &count, &err), err);
        ms[i] = now_ms() - t0;
    }
    zizq_buf_free(&filter);
    report("count", ms, n);

    char take[96];
    snprintf(take, sizeof take, "{\"prefetch\":%ld,\"queues\":[\"" QUEUE "\"]}", n);
    zizq_buf take_doc = doc(take);
    zizq_take_stream *stream = NULL;
    check("take_open", zizq_take_open(client, take_doc.data, take_doc.len, &stream, &err), err);
    zizq_buf_free(&take_doc);
    long acked = 0;
    while (acked < n) {
        zizq_batch *batch = NULL;
        check("take_next", zizq_take_next(stream, 0, 5000, &batch, &err), err);
        if (!batch) {
            fprintf(stderr, "latency: no job within 5 s\n");
            return 1;
        }
        for (size_t i = 0; i < zizq_batch_len(batch) && acked < n; i++) {
            double t0 = now_ms();
            check("report_success",
                  zizq_report_success(client, zizq_batch_get(batch, i)->id, &err), err);
            ms[acked++] = now_ms() - t0;
        }
        zizq_batch_free(batch);
    }
    report("ack", ms, n);
    zizq_take_free(stream);

    bursts(client, burst_count, burst_size);
    zizq_client_free(client);
    free(ms);
    return 0;
}
