package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// writeLoad PUTs distinct training sets through the replicas in turn
// (8 writers) until stop is closed, and remembers every acknowledged one.
type writeLoad struct {
	s       *sandbox
	tok     string
	body    string
	next    atomic.Int64
	mu      sync.Mutex
	acked   map[string]string // path -> the unique name in the acknowledged body
	status  map[int]int
	noRetry int // 503s without Retry-After
	wg      sync.WaitGroup
	stop    chan struct{}
}

func startWriteLoad(t *testing.T, s *sandbox, tok string) *writeLoad {
	l := &writeLoad{s: s, tok: tok, body: trainingsBody(t), acked: map[string]string{}, status: map[int]int{}, stop: make(chan struct{})}
	for w := range 8 {
		l.wg.Go(func() { l.writer(w) })
	}
	return l
}

func (l *writeLoad) writer(w int) {
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		i := int(l.next.Add(1))
		p := l.s.replicas[(w+i)%len(l.s.replicas)]
		path := trainingsURL("", "403019261", testSSIN(100+i), 2023)
		name := fmt.Sprintf("replica training %d", i)
		req, _ := http.NewRequest("PUT", p.base+path, strings.NewReader(strings.Replace(l.body, "Safety at work, basic course", name, 1)))
		req.Header.Set("Authorization", "Bearer "+l.tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			time.Sleep(20 * time.Millisecond) // a killed replica: the balancer would retry elsewhere
			continue
		}
		resp.Body.Close()
		l.mu.Lock()
		l.status[resp.StatusCode]++
		switch {
		case resp.StatusCode == 200:
			l.acked[path] = name
		case resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "":
			l.noRetry++
		}
		l.mu.Unlock()
		if resp.StatusCode == 503 {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func (l *writeLoad) halt() {
	close(l.stop)
	l.wg.Wait()
}

// checkAcked reads every acknowledged PUT back through p.
func (l *writeLoad) checkAcked(t *testing.T, p *servedProcess) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for path, name := range l.acked {
		if r := call(t, l.s.client, "GET", p.base+path, l.tok, ""); r.status != 200 || !strings.Contains(r.raw, name) {
			t.Fatalf("acknowledged PUT %s lost or changed: %d %s", path, r.status, r.raw)
		}
	}
}

// kill -9 of a replica under write load loses no acknowledged write: the
// other replica (and a new one) answers every one of them.
func TestReplicas_KillNineUnderWriteLoad(t *testing.T) {
	s := startSandbox(t, 2)
	tok := s.token(t, s.replicas[0], testEmployerID)
	l := startWriteLoad(t, s, tok)
	time.Sleep(700 * time.Millisecond)
	killed := s.replicas[0]
	killed.cmd.Process.Signal(syscall.SIGKILL)
	<-killed.done
	time.Sleep(300 * time.Millisecond)
	l.halt()
	l.mu.Lock()
	t.Logf("acknowledged %d PUTs; statuses %v", len(l.acked), l.status)
	if len(l.acked) < 20 {
		t.Errorf("only %d PUTs acknowledged: the test proves little", len(l.acked))
	}
	if n := l.status[503] + l.status[500]; n > 0 {
		t.Errorf("%d PUTs failed on the surviving replica: %v", n, l.status)
	}
	l.mu.Unlock()
	l.checkAcked(t, s.replicas[1])
	l.checkAcked(t, s.start(t))
}

// PostgreSQL restarted under load: PUTs answer 503 with Retry-After during
// the outage (the token endpoint 503 temporarily_unavailable, health
// DEGRADED with the reason), no acknowledged write is lost, and service
// comes back by itself within seconds, without restarting flamock.
func TestReplicas_PostgresRestartUnderLoad(t *testing.T) {
	s := startSandbox(t, 2)
	a := s.replicas[0]
	tok := s.token(t, a, testEmployerID)
	l := startWriteLoad(t, s, tok)
	time.Sleep(500 * time.Millisecond)
	if err := s.pg.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	time.Sleep(700 * time.Millisecond)
	code, hdr, body := s.tokenRequest(t, a, s.assertion(t, testEmployerID))
	if code != 503 || body["error"] != "temporarily_unavailable" || hdr.Get("Retry-After") == "" {
		t.Errorf("token endpoint during the outage: %d %v (Retry-After %q)", code, body, hdr.Get("Retry-After"))
	}
	h := s.admin(t, a, "GET", "/__admin/health", "")
	if h.body["status"] != "DEGRADED" || !strings.Contains(h.raw, "PostgreSQL unavailable since") {
		t.Errorf("health during the outage: %d %s", h.status, h.raw)
	}
	if err := s.pg.Start(); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	back := waitBack(t, s, tok)
	t.Logf("PostgreSQL down %v; service back %v after it restarted", restarted.Sub(down).Round(time.Millisecond), back.Round(time.Millisecond))
	time.Sleep(300 * time.Millisecond)
	l.halt()
	l.mu.Lock()
	t.Logf("acknowledged %d PUTs; statuses %v", len(l.acked), l.status)
	if l.status[503] == 0 {
		t.Errorf("no 503 during the outage: %v", l.status)
	}
	if l.noRetry > 0 {
		t.Errorf("%d 503s without Retry-After", l.noRetry)
	}
	if n := l.status[500]; n > 0 {
		t.Errorf("%d PUTs answered 500", n)
	}
	l.mu.Unlock()
	if back > 10*time.Second {
		t.Errorf("service came back %v after PostgreSQL; want seconds", back)
	}
	l.checkAcked(t, s.replicas[1])
	if h := s.admin(t, a, "GET", "/__admin/health", ""); h.body["status"] != "UP" {
		t.Errorf("health after the outage: %s", h.raw)
	}
}

// waitBack polls (bounded: 30 s) until both replicas store a PUT again,
// and returns how long that took.
func waitBack(t *testing.T, s *sandbox, tok string) time.Duration {
	t.Helper()
	start := time.Now()
	path := trainingsURL("", "403019261", testSSIN(99), 2023)
	for time.Since(start) < 30*time.Second {
		ok := 0
		for _, p := range s.replicas {
			if r := call(t, s.client, "PUT", p.base+path, tok, trainingsBody(t)); r.status == 200 {
				ok++
			}
		}
		if ok == len(s.replicas) {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("service not back 30 s after PostgreSQL restarted")
	return 0
}
