// Quick start: enqueue a job, take it, acknowledge it, count what is left.
//
//	ZIZQ_URL=http://127.0.0.1:7890 go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/zizq/libzizq/bindings/go/zizq"
)

func main() {
	url := os.Getenv("ZIZQ_URL")
	if url == "" {
		log.Fatal("set ZIZQ_URL, e.g. ZIZQ_URL=http://127.0.0.1:7890")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	client, err := zizq.NewClient(url) // MessagePack; zizq.WithFormat(zizq.JSON) for JSON
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	job, err := client.Enqueue(ctx, zizq.EnqueueRequest{
		Queue:   "emails",
		Type:    "send_email",
		Payload: map[string]string{"to": "ada@example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("enqueued %s (%s)\n", job.ID, job.Status)

	stream, err := client.TakeJobs(ctx, zizq.TakeOptions{Queues: []string{"emails"}})
	if err != nil {
		log.Fatal(err)
	}
	taken, err := stream.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("took %s: %s %s\n", taken.ID, taken.Type, taken.Payload)
	if err := client.Ack(ctx, taken.ID); err != nil {
		log.Fatal(err)
	}
	stream.Close()

	left, err := client.CountJobs(ctx, zizq.JobFilter{Queue: []string{"emails"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("jobs left in emails: %d\n", left)
}
