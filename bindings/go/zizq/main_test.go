package zizq

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The suite runs against ZIZQ_TEST_URL when set (shared, erased between
// tests, fault injection skipped, ZIZQ_TEST_TIER=free: Pro features must
// answer 403), else against a zizq-testserver started here on port 0
// (ZIZQ_TESTSERVER, default zizq-testserver from PATH, as `make install`
// puts it in PREFIX/bin).
var server struct {
	url   string
	own   bool
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func TestMain(m *testing.M) {
	if err := startServer(); err != nil {
		fmt.Fprintln(os.Stderr, "zizq tests:", err)
		os.Exit(1)
	}
	// The runnable examples (example_test.go) connect to ZIZQ_URL, as the
	// quick start does.
	os.Setenv("ZIZQ_URL", server.url)
	code := m.Run()
	stopServer()
	os.Exit(code)
}

func startServer() error {
	if url := os.Getenv("ZIZQ_TEST_URL"); url != "" {
		server.url = strings.TrimRight(url, "/")
		return nil
	}
	bin := os.Getenv("ZIZQ_TESTSERVER")
	if bin == "" {
		bin = "zizq-testserver"
	}
	cmd := exec.Command(bin, "--port", "0", "--heartbeat-interval", "100ms", "--exit-on-stdin-eof")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w (put the installed bin/ on PATH or set ZIZQ_TESTSERVER)", bin, err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("zizq-testserver exited before reporting its address: %w", err)
	}
	server.url = strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	server.own, server.cmd, server.stdin = true, cmd, stdin
	return nil
}

func stopServer() {
	if server.cmd == nil {
		return
	}
	_ = server.stdin.Close()
	_ = server.cmd.Process.Kill()
	_ = server.cmd.Wait()
}

// pro tells whether the server serves Pro features (cron, unique jobs).
func pro(t *testing.T) bool {
	if !server.own {
		return os.Getenv("ZIZQ_TEST_TIER") != "free"
	}
	var cfg struct {
		Tier string `json:"tier"`
	}
	control(t, "GET", "config", nil, &cfg)
	return cfg.Tier == "pro"
}

func requireOwnServer(t *testing.T) {
	t.Helper()
	if !server.own {
		t.Skip("fault injection needs the bundled zizq-testserver (ZIZQ_TEST_URL is set)")
	}
}

// control calls the test server's control API (JSON over HTTP/1.1).
func control(t *testing.T, method, path string, body any, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, server.url+"/_testserver/"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("content-type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("control %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("control %s %s: HTTP %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("control %s %s: %v", method, path, err)
		}
	}
}

func faults(t *testing.T, f map[string]any) {
	t.Helper()
	control(t, "PUT", "faults", f, nil)
}

type serverState struct {
	Connections int `json:"connections"`
	TakeStreams int `json:"take_streams"`
	InFlight    int `json:"in_flight"`
	Requests    int `json:"requests"`
}

func state(t *testing.T) serverState {
	t.Helper()
	var s serverState
	control(t, "GET", "state", nil, &s)
	return s
}

// newClient makes a client in format f, closed at the end of the test.
func newClient(t *testing.T, f Format, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(server.url, append([]Option{WithFormat(f)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// eachFormat runs fn once per format against a clean server.
func eachFormat(t *testing.T, fn func(t *testing.T, c *Client)) {
	for _, f := range []Format{MessagePack, JSON} {
		t.Run(f.String(), func(t *testing.T) {
			if server.own {
				control(t, "DELETE", "faults", nil, nil)
				t.Cleanup(func() { control(t, "DELETE", "faults", nil, nil) })
			}
			c := newClient(t, f)
			if err := c.EraseAllData(context.Background()); err != nil {
				t.Fatal(err)
			}
			fn(t, c)
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// must(v, err)(t) is v, or fails the test.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func enqueue(t *testing.T, c *Client, queue string, payload any) *Job {
	t.Helper()
	return must(c.Enqueue(context.Background(), EnqueueRequest{Type: "test", Queue: queue, Payload: payload}))(t)
}

// waitUntil polls cond (no fixed sleeps).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func count(t *testing.T, c *Client, f JobFilter) int64 {
	t.Helper()
	return must(c.CountJobs(context.Background(), f))(t)
}
