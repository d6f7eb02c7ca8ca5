package zizq_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/zizq/libzizq/bindings/go/zizq"
)

// The examples talk to the server in ZIZQ_URL (under go test, the suite's
// zizq-testserver; see TestMain). Each uses its own queue and leaves no
// job waiting on it.

func ExampleClient() {
	ctx := context.Background()
	client, err := zizq.NewClient(os.Getenv("ZIZQ_URL")) // MessagePack; WithFormat(zizq.JSON) for JSON
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	job, err := client.Enqueue(ctx, zizq.EnqueueRequest{
		Queue:   "example-emails",
		Type:    "send_email",
		Payload: map[string]string{"to": "ada@example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	got, err := client.GetJob(ctx, job.ID)
	if err != nil {
		log.Fatal(err)
	}
	var payload struct {
		To string `json:"to"`
	}
	if err := got.DecodePayload(&payload); err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Type, got.Queue, got.Status, payload.To)

	if err := client.DeleteJob(ctx, job.ID); err != nil {
		log.Fatal(err)
	}
	_, err = client.GetJob(ctx, job.ID)
	fmt.Println("after delete, not found:", errors.Is(err, zizq.ErrNotFound))
	// Output:
	// send_email example-emails ready ada@example.com
	// after delete, not found: true
}

func ExampleClient_TakeJobs() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := zizq.NewClient(os.Getenv("ZIZQ_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Enqueue(ctx, zizq.EnqueueRequest{
		Queue: "example-images", Type: "resize_image", Payload: map[string]int{"width": 640},
	}); err != nil {
		log.Fatal(err)
	}

	stream, err := client.TakeJobs(ctx, zizq.TakeOptions{Queues: []string{"example-images"}})
	if err != nil {
		log.Fatal(err)
	}
	defer stream.Close()
	job, err := stream.Next(ctx) // waits for a job (or ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("took", job.Type, "with payload", string(job.Payload))
	if err := client.Ack(ctx, job.ID); err != nil { // or client.Nack(ctx, job.ID, zizq.Failure{...})
		log.Fatal(err)
	}
	waiting, err := client.CountJobs(ctx, zizq.JobFilter{
		Queue:  []string{"example-images"},
		Status: []zizq.JobState{zizq.JobReady, zizq.JobInFlight},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ready or in flight after the ack:", waiting)
	// Output:
	// took resize_image with payload {"width":640}
	// ready or in flight after the ack: 0
}

func ExampleWorker() {
	client, err := zizq.NewClient(os.Getenv("ZIZQ_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	for n := 1; n <= 3; n++ {
		if _, err := client.Enqueue(context.Background(), zizq.EnqueueRequest{
			Queue: "example-sums", Type: "add", Payload: map[string]int{"n": n},
		}); err != nil {
			log.Fatal(err)
		}
	}

	worker, err := zizq.NewWorker(client, zizq.WorkerOptions{Queues: []string{"example-sums"}})
	if err != nil {
		log.Fatal(err)
	}
	// Run blocks until its context is done, then shuts down gracefully:
	// running handlers finish and every ack is sent before it returns.
	ctx, stop := context.WithCancel(context.Background())
	var mu sync.Mutex
	sum, handled := 0, 0
	err = worker.Run(ctx, 2, func(ctx context.Context, job *zizq.Job) error {
		var p struct {
			N int `json:"n"`
		}
		if err := job.DecodePayload(&p); err != nil {
			return err // nacked: the server retries the job later
		}
		mu.Lock()
		defer mu.Unlock()
		sum += p.N
		if handled++; handled == 3 {
			stop()
		}
		return nil // acked
	})
	fmt.Println("sum:", sum, "run:", err)
	// Output:
	// sum: 6 run: <nil>
}
