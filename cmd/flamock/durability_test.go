package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/beid"
)

// testSSIN returns the i-th of a series of valid SSINs (born in 1980s,
// distinct order numbers).
func testSSIN(i int) string {
	day := time.Date(1981, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/997)
	body := fmt.Sprintf("%02d%02d%02d%03d", day.Year()%100, day.Month(), day.Day(), i%997+1)
	var n int64
	fmt.Sscan(body, &n)
	return fmt.Sprintf("%s%02d", body, 97-n%97)
}

// A kill -9 at any moment loses no acknowledged write: several rounds of
// concurrent PUTs against a real `flamock serve --state`, each ended by
// SIGKILL at a different moment, then a restart that must answer every
// acknowledged PUT with exactly what was acknowledged.
func TestServe_KillNineLosesNoAcknowledgedWrite(t *testing.T) {
	cfg, bundles := writeTestConfig(t, "")
	state := filepath.Join(t.TempDir(), "state.log")
	body := trainingsBody(t)
	acked := map[string]string{} // URL -> the unique name in the acknowledged body
	var ackMu sync.Mutex
	var next atomic.Int64
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

	for round, killAfter := range []time.Duration{150 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond} {
		p := startServe(t, "--config", cfg, "--state", state)
		// Everything acknowledged in earlier rounds survived the kill.
		token := getToken(t, client, p.base, testEmployerID, bundles[testEmployerID])
		ackMu.Lock()
		for url, name := range acked {
			r := call(t, client, "GET", strings.Replace(url, "BASE", p.base, 1), token, "")
			if r.status != 200 || !strings.Contains(r.raw, name) {
				t.Fatalf("round %d: acknowledged PUT %s lost or changed after kill -9: %d %s", round, url, r.status, r.raw)
			}
		}
		before := len(acked)
		ackMu.Unlock()

		stop := make(chan struct{})
		var wg sync.WaitGroup
		var inFlightAtKill atomic.Int64
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					i := int(next.Add(1))
					url := "BASE" + trainingsURL("", "403019261", testSSIN(i), 2023)
					name := fmt.Sprintf("durability training %d", i)
					req, _ := http.NewRequest("PUT", strings.Replace(url, "BASE", p.base, 1),
						strings.NewReader(strings.Replace(body, "Safety at work, basic course", name, 1)))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					inFlightAtKill.Add(1)
					resp, err := client.Do(req)
					inFlightAtKill.Add(-1)
					if err != nil {
						return // the server was killed
					}
					resp.Body.Close()
					if resp.StatusCode == 200 {
						ackMu.Lock()
						acked[url] = name
						ackMu.Unlock()
					} else if resp.StatusCode != 0 {
						t.Errorf("PUT %s: status %d", url, resp.StatusCode)
						return
					}
				}
			}()
		}
		time.Sleep(killAfter)
		inflight := inFlightAtKill.Load()
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		close(stop)
		wg.Wait()
		ackMu.Lock()
		t.Logf("round %d: killed after %v with about %d requests in flight; %d PUTs acknowledged this round, %d in all",
			round, killAfter, inflight, len(acked)-before, len(acked))
		ackMu.Unlock()
	}
	// A last restart checks the last round.
	p := startServe(t, "--config", cfg, "--state", state)
	token := getToken(t, client, p.base, testEmployerID, bundles[testEmployerID])
	for url, name := range acked {
		r := call(t, client, "GET", strings.Replace(url, "BASE", p.base, 1), token, "")
		if r.status != 200 || !strings.Contains(r.raw, name) {
			t.Fatalf("acknowledged PUT %s lost or changed after kill -9: %d %s", url, r.status, r.raw)
		}
	}
	if len(acked) < 30 {
		t.Errorf("only %d PUTs were acknowledged in all rounds; the test proves little", len(acked))
	}
}

func TestTestSSIN(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 3000; i++ {
		s := testSSIN(i)
		if err := beid.CheckSSIN(s, time.Now()); err != nil {
			t.Fatalf("testSSIN(%d): %v", i, err)
		}
		if seen[s] {
			t.Fatalf("testSSIN(%d) = %s repeats", i, s)
		}
		seen[s] = true
	}
}
