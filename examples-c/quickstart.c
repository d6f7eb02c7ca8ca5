/*
 * quickstart.c — enqueue a job, take it, acknowledge it, list and count.
 *
 *   ZIZQ_URL=http://127.0.0.1:7890 ./quickstart
 *
 * The client uses JSON here so the documents are readable; MessagePack is
 * the default and works the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zizq.h"

/* Print the error of a failed call and stop. */
static void check(zizq_status status, zizq_error *err, const char *what) {
    if (status == ZIZQ_OK) return;
    fprintf(stderr, "%s failed: %s (HTTP %u): %s\n", what, zizq_status_name((int32_t)status),
            (unsigned)zizq_error_http_status(err), zizq_error_message(err));
    zizq_error_free(err);
    exit(1);
}

int main(void) {
    const char *url = getenv("ZIZQ_URL") ? getenv("ZIZQ_URL") : "http://127.0.0.1:7890";
    const char *options = "{\"format\":\"json\"}";
    zizq_client *client = NULL;
    zizq_error *err = NULL;
    check(zizq_client_new(url, (const uint8_t *)options, strlen(options), &client, &err), err,
          "zizq_client_new");
    printf("%s, server %s\n", zizq_version(), url);

    /* Enqueue a job. */
    const char *job = "{\"type\":\"send_email\",\"queue\":\"emails\","
                      "\"payload\":{\"to\":\"ada@example.com\"}}";
    zizq_buf out = {0};
    check(zizq_enqueue(client, (const uint8_t *)job, strlen(job), &out, &err), err, "zizq_enqueue");
    printf("enqueued: %.*s\n", (int)out.len, (const char *)out.data);
    zizq_buf_free(&out);

    /* Take it from a stream on the "emails" queue. */
    const char *take = "{\"queues\":[\"emails\"],\"prefetch\":1}";
    zizq_take_stream *stream = NULL;
    check(zizq_take_open(client, (const uint8_t *)take, strlen(take), &stream, &err), err,
          "zizq_take_open");
    zizq_batch *batch = NULL;
    check(zizq_take_next(stream, 1, 5000, &batch, &err), err, "zizq_take_next");
    if (!batch) {
        fprintf(stderr, "no job arrived within 5 s\n");
        return 1;
    }
    const zizq_job *taken = zizq_batch_get(batch, 0);
    printf("took: id=%s type=%s queue=%s attempts=%u\n      %.*s\n", taken->id, taken->type,
           taken->queue, taken->attempts, (int)taken->doc_len, (const char *)taken->doc);

    /* Acknowledge it: the job is completed. */
    check(zizq_report_success(client, taken->id, &err), err, "zizq_report_success");
    printf("acked: %s\n", taken->id);
    zizq_batch_free(batch);
    zizq_take_free(stream);

    /* List and count what is left on the queue. */
    const char *filter = "{\"queue\":\"emails\"}";
    check(zizq_list_jobs(client, (const uint8_t *)filter, strlen(filter), &out, &err), err,
          "zizq_list_jobs");
    printf("list: %.*s\n", (int)out.len, (const char *)out.data);
    zizq_buf_free(&out);
    int64_t count = -1;
    check(zizq_count_jobs(client, (const uint8_t *)filter, strlen(filter), &count, &err), err,
          "zizq_count_jobs");
    printf("count: %lld job(s) left on \"emails\"\n", (long long)count);

    zizq_client_close(client);
    zizq_client_free(client);
    return 0;
}
