/*
 * frame_loop.c — a game-style 60 Hz loop that uses only the non-blocking
 * API: each frame it polls the completion queue and a take stream with a
 * zero timeout, collects finished calls, takes the jobs that arrived,
 * starts one bulk acknowledgement for them and starts 50 enqueues. It
 * measures the time spent inside libzizq calls in each frame (the frame's
 * budget is 16.7 ms) and ends with one line:
 *
 *   frames=N jobs=N worst_ms=X p99_ms=Y median_ms=M cpu_p99_ms=C cpu_median_ms=D
 *
 * (the cpu_ figures are this thread's CPU time for the frame's whole work,
 * calls and documents: on a busy machine the elapsed time inside the calls
 * also holds time the system gave to other threads, the server's included
 * when it runs on the same machine).
 *
 *   ZIZQ_URL=http://127.0.0.1:7890 FRAMES=600 ./frame_loop
 *
 * BULK=1 enqueues each frame's 50 jobs with one zizq_enqueue_bulk instead of
 * 50 zizq_enqueue calls.
 *
 * It exits non-zero if a call fails or a job is not taken and acknowledged.
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zizq.h"

#define JOBS_PER_FRAME 50
#define FRAME_NS 16666667L

static double clock_ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
#define now_ms() clock_ms(CLOCK_MONOTONIC)

/* Time spent inside libzizq calls during the current frame (elapsed). */
static double in_library_ms = 0;
#define LIB(stmt)                                                           \
    do {                                                                    \
        double t0_ = now_ms();                                              \
        stmt;                                                               \
        in_library_ms += now_ms() - t0_;                                    \
    } while (0)

/* The calls in flight: ticket, what it does and how many jobs it carries. */
#define MAX_CALLS 8192
enum call_kind { ENQUEUE, ACK };
static uint64_t call_ticket[MAX_CALLS];
static enum call_kind call_kind[MAX_CALLS];
static long call_jobs[MAX_CALLS];

static void remember(enum call_kind kind, long jobs) {
    uint64_t ticket = zizq_last_ticket();
    call_ticket[ticket % MAX_CALLS] = ticket;
    call_kind[ticket % MAX_CALLS] = kind;
    call_jobs[ticket % MAX_CALLS] = jobs;
}

static void fail(const char *what, zizq_status status, zizq_error *err) {
    fprintf(stderr, "frame_loop: %s: %s: %s\n", what, zizq_status_name((int32_t)status),
            err ? zizq_error_message(err) : "");
    exit(1);
}

/* Start a call on the deferred client: anything but ZIZQ_PENDING is fatal. */
static void started(const char *what, zizq_status status, zizq_error *err) {
    if (status != ZIZQ_PENDING) fail(what, status, err);
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void) {
    const char *url = getenv("ZIZQ_URL") ? getenv("ZIZQ_URL") : "http://127.0.0.1:7890";
    long frames = getenv("FRAMES") ? atol(getenv("FRAMES")) : 600;
    /* BULK=1: one zizq_enqueue_bulk per frame instead of 50 zizq_enqueue. */
    int bulk = getenv("BULK") && strcmp(getenv("BULK"), "1") == 0;
    static char jobs_doc[JOBS_PER_FRAME * 128];
    if (frames < 1) frames = 1;
    zizq_error *err = NULL;
    zizq_status st;
    zizq_client *client = NULL, *loop = NULL;
    zizq_completion_queue *cq = NULL;
    zizq_take_stream *stream = NULL;
    const char *queue = "frame_loop";

    /* Set-up (before the loop; these calls do not touch the network). */
    if ((st = zizq_client_new(url, (const uint8_t *)"{\"format\":\"json\"}", 17, &client, &err)))
        fail("client", st, err);
    if ((st = zizq_completion_queue_new(NULL, 0, &cq, &err))) fail("queue", st, err);
    if ((st = zizq_client_defer(client, cq, &loop, &err))) fail("defer", st, err);
    const char *take = "{\"queues\":[\"frame_loop\"],\"prefetch\":500}";
    if ((st = zizq_take_open(loop, (const uint8_t *)take, strlen(take), &stream, &err)))
        fail("take_open", st, err);
    struct pollfd fds[2] = {
        {.fd = zizq_completion_queue_fd(cq), .events = POLLIN, .revents = 0},
        {.fd = zizq_take_fd(stream), .events = POLLIN, .revents = 0},
    };

    /* Per-frame cost of the frames that enqueue (the drain after is not counted). */
    double *cost = calloc((size_t)frames, sizeof *cost);
    double *cpu = calloc((size_t)frames, sizeof *cpu);
    long enqueued = 0, created = 0, taken = 0, acked = 0, frame = 0;
    char doc[128], ids[64 * 1024];
    zizq_completion done[64];
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    double give_up = 0;
    for (;; frame++) {
        int enqueuing = frame < frames;
        if (!enqueuing && created == enqueued && taken == enqueued && acked == taken) break;
        if (!enqueuing && give_up == 0) give_up = now_ms() + 10000;
        if (!enqueuing && now_ms() > give_up) {
            fprintf(stderr, "frame_loop: gave up: enqueued %ld, created %ld, taken %ld, acked %ld\n",
                    enqueued, created, taken, acked);
            return 1;
        }
        in_library_ms = 0;
        double cpu_start = clock_ms(CLOCK_THREAD_CPUTIME_ID);
        int ready = poll(fds, 2, 0);
        /* Finished calls: enqueues (their created jobs) and acks. */
        if (ready > 0 && (fds[0].revents & POLLIN)) {
            size_t n = 0;
            do {
                LIB(st = zizq_completion_queue_next(cq, done, 64, 0, &n));
                if (st != ZIZQ_OK) fail("completion_queue_next", st, NULL);
                for (size_t i = 0; i < n; i++) {
                    if (done[i].status != ZIZQ_OK) fail("a started call", done[i].status, done[i].err);
                    size_t slot = done[i].ticket % MAX_CALLS;
                    if (call_ticket[slot] != done[i].ticket) fail("an unknown ticket", ZIZQ_E_INVALID_ARG, NULL);
                    *(call_kind[slot] == ACK ? &acked : &created) += call_jobs[slot];
                    call_ticket[slot] = 0;
                    LIB(zizq_completion_free(&done[i]));
                }
            } while (n == 64);
        }
        /* Jobs that arrived: acknowledge them in one bulk call. */
        if (ready > 0 && (fds[1].revents & POLLIN)) {
            zizq_batch *batch = NULL;
            size_t n = 0;
            LIB(st = zizq_take_next(stream, 0, 0, &batch, &err));
            if (st != ZIZQ_OK) fail("take_next", st, err);
            LIB(n = zizq_batch_len(batch));
            if (n > 0) {
                size_t at = (size_t)snprintf(ids, sizeof ids, "[");
                for (size_t i = 0; i < n; i++) {
                    const zizq_job *job = NULL;
                    LIB(job = zizq_batch_get(batch, i));
                    at += (size_t)snprintf(ids + at, sizeof ids - at, "%s\"%s\"", i ? "," : "", job->id);
                }
                snprintf(ids + at, sizeof ids - at, "]");
                if (at + 2 >= sizeof ids) fail("ack: too many ids for the buffer", ZIZQ_E_INVALID_ARG, NULL);
                LIB(st = zizq_report_success_bulk(loop, (const uint8_t *)ids, strlen(ids), &err));
                started("ack", st, err);
                remember(ACK, (long)n);
                taken += (long)n;
            }
            LIB(zizq_batch_free(batch));
        }
        /* This frame's work. */
        if (enqueuing && bulk) {
            /* One bulk enqueue of the frame's jobs. */
            size_t at = (size_t)snprintf(jobs_doc, sizeof jobs_doc, "{\"jobs\":[");
            for (int i = 0; i < JOBS_PER_FRAME; i++) {
                at += (size_t)snprintf(jobs_doc + at, sizeof jobs_doc - at,
                                       "%s{\"type\":\"tick\",\"queue\":\"%s\",\"payload\":{\"frame\":%ld,\"i\":%d}}",
                                       i ? "," : "", queue, frame, i);
            }
            at += (size_t)snprintf(jobs_doc + at, sizeof jobs_doc - at, "]}");
            LIB(st = zizq_enqueue_bulk(loop, (const uint8_t *)jobs_doc, at, NULL, &err));
            started("enqueue_bulk", st, err);
            remember(ENQUEUE, JOBS_PER_FRAME);
            enqueued += JOBS_PER_FRAME;
        } else if (enqueuing) {
            for (int i = 0; i < JOBS_PER_FRAME; i++) {
                int len = snprintf(doc, sizeof doc,
                                   "{\"type\":\"tick\",\"queue\":\"%s\",\"payload\":{\"frame\":%ld,\"i\":%d}}",
                                   queue, frame, i);
                LIB(st = zizq_enqueue(loop, (const uint8_t *)doc, (size_t)len, NULL, &err));
                started("enqueue", st, err);
                remember(ENQUEUE, 1);
                enqueued++;
            }
        }
        if (enqueuing) {
            cost[frame] = in_library_ms;
            /* This thread's CPU time for the whole frame's work: the calls,
               plus building 50 small documents. */
            cpu[frame] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
        }
        /* Sleep to the next frame boundary. */
        next.tv_nsec += FRAME_NS;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }

    size_t p99_at = (size_t)((double)(frames - 1) * 0.99);
    qsort(cost, (size_t)frames, sizeof *cost, by_value);
    qsort(cpu, (size_t)frames, sizeof *cpu, by_value);
    printf("frames=%ld jobs=%ld worst_ms=%.3f p99_ms=%.3f median_ms=%.3f cpu_p99_ms=%.3f cpu_median_ms=%.3f\n",
           frames, acked, cost[frames - 1], cost[p99_at], cost[frames / 2], cpu[p99_at], cpu[frames / 2]);
    fflush(stdout);
    free(cost);
    free(cpu);
    zizq_take_free(stream);
    zizq_client_free(loop);
    zizq_completion_queue_free(cq);
    zizq_client_free(client);
    return acked == enqueued ? 0 : 1;
}
