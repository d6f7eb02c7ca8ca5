// examples-c/throughput.c on the Go shim, for bench/run.sh (client "go"):
// the same environment, steps and three output lines.
//
// Environment: ZIZQ_URL, ZIZQ_FORMAT (msgpack|json), JOB_COUNT (10000),
// CONCURRENCY (25: handler goroutines), PREFETCH (2 x CONCURRENCY).
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/zizq/libzizq/bindings/go/zizq"
)

const queue = "throughput_bench"

func envInt(name string, fallback int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			log.Fatalf("throughput: %s: %v", name, err)
		}
		return n
	}
	return fallback
}

func report(verb string, n int, d time.Duration) {
	fmt.Printf("%s %d jobs in %.2fs (%.0f jobs/sec)\n", verb, n, d.Seconds(), float64(n)/d.Seconds())
}

func main() {
	url := os.Getenv("ZIZQ_URL")
	if url == "" {
		url = "http://127.0.0.1:7890"
	}
	count := envInt("JOB_COUNT", 10000)
	concurrency := envInt("CONCURRENCY", 25)
	prefetch := envInt("PREFETCH", 2*concurrency)
	format := zizq.MessagePack
	if os.Getenv("ZIZQ_FORMAT") == "json" {
		format = zizq.JSON
	}
	ctx := context.Background()
	client, err := zizq.NewClient(url, zizq.WithFormat(format))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	where := zizq.JobFilter{Queue: []string{queue}}
	if _, err := client.DeleteAllJobs(ctx, where); err != nil {
		log.Fatal(err)
	}

	started := time.Now()
	for start := 0; start < count; start += 1000 {
		end := min(count, start+1000)
		jobs := make([]zizq.EnqueueRequest, 0, end-start)
		for n := start; n < end; n++ {
			jobs = append(jobs, zizq.EnqueueRequest{Type: "bench", Queue: queue, Payload: map[string]int{"n": n}})
		}
		if _, err := client.EnqueueBulk(ctx, jobs); err != nil {
			log.Fatal(err)
		}
	}
	report("Enqueued", count, time.Since(started))

	started = time.Now()
	scanned := 0
	page, err := client.ListJobs(ctx, zizq.ListJobsOptions{JobFilter: where, Limit: 2000})
	for err == nil && page != nil {
		scanned += len(page.Jobs)
		page, err = page.NextPage(ctx)
	}
	if err != nil {
		log.Fatal(err)
	}
	report("Scanned", scanned, time.Since(started))

	started = time.Now()
	worker, err := zizq.NewWorker(client, zizq.WorkerOptions{Queues: []string{queue}, Prefetch: prefetch})
	if err != nil {
		log.Fatal(err)
	}
	var handled atomic.Int64
	done := make(chan struct{})
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		<-done
		stop()
	}()
	err = worker.Run(runCtx, concurrency, func(context.Context, *zizq.Job) error {
		if handled.Add(1) == int64(count) {
			close(done)
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	report("Dequeued", int(handled.Load()), time.Since(started))
}
