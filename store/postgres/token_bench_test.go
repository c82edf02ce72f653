package postgres

import (
	"bytes"
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/ssoauth"
	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/store"
)

const benchAudience = "http://sandbox.test/REST/oauth/v5/token"

// BenchmarkToken is one RS256 token request through the token endpoint's
// handler, every check included, 64 at once, issuing a JWT access token:
// with the embedded store and with PostgreSQL's, wired as serve --store
// wires it (jti insert, faults, revocations). Run it with
// -benchtime=2000x -count=3 and compare the medians; "round-trips/op" is
// PostgreSQL connections taken per token (the jti insert is one).
//
// tokens/s swings with the load of a shared machine; the CPU each token
// costs does not: "cpu-µs/op" is this process's (user + system, the
// benchmark's own requests included alike), "pg-cpu-µs/op" the PostgreSQL
// cluster's (every server process's time on a CPU). When the CPUs are the
// bottleneck, as with 32 requests in flight on 2 cores, tokens/s goes as
// the inverse of their sum.
func BenchmarkToken(b *testing.B) {
	const id = "self_service_chaman_403019_benchemplo"
	bundle, pool := tokenRequests(b, id)
	for _, kind := range []string{"embedded", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			cfg := mockoauth.Config{Audience: benchAudience, Clients: []mockoauth.Client{{ID: id, Certificates: []*x509.Certificate{bundle.Cert}, Scopes: []string{"scope:bench"}}}}
			if kind == "postgres" {
				pg, err := Open(context.Background(), newDB(b), store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer pg.Close()
				cfg.Replay, cfg.Faults, cfg.Revocations = pg.Replay(), pg.Faults(), pg.Revocations()
				defer func(n0, f0 int64) {
					b.ReportMetric(float64(pg.pool.Stat().AcquireCount()+pg.fast.Stat().AcquireCount()-n0-f0)/float64(b.N), "round-trips/op")
				}(pg.pool.Stat().AcquireCount(), pg.fast.Stat().AcquireCount())
				defer reportCPU(b, "pg-cpu-µs/op", clusterCPU)()
			}
			srv, err := mockoauth.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer reportCPU(b, "cpu-µs/op", processCPU)()
			postTokens(b, srv, pool)
		})
	}
}

// tokenRequests makes a client certificate and 4000 token request bodies
// for client id, each with an assertion signed beforehand (outside the
// timer) and used once.
func tokenRequests(b *testing.B, id string) (*certgen.Bundle, []string) {
	bundle, err := certgen.Create(certgen.Request{Key: certgen.RSA2048, CommonName: "bench", EnterpriseNumber: "0403019261"})
	if err != nil {
		b.Fatal(err)
	}
	pool := make([]string, 4000)
	for i := range pool {
		a, err := ssoauth.Assertion{ClientID: id, Audience: benchAudience, Key: bundle.Key, Lifetime: 9 * time.Minute}.Sign()
		if err != nil {
			b.Fatal(err)
		}
		pool[i] = url.Values{"grant_type": {"client_credentials"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {a}}.Encode()
	}
	return bundle, pool
}

// postTokens sends b.N of the token requests of pool to srv, 32 goroutines
// per GOMAXPROCS at once, each answered 200, and reports tokens/s.
func postTokens(b *testing.B, srv http.Handler, pool []string) {
	if b.N > len(pool) {
		b.Skipf("b.N %d is beyond the %d pre-signed assertions; use -benchtime=%dx at most", b.N, len(pool), len(pool))
	}
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/REST/oauth/v5/token", strings.NewReader(pool[next.Add(1)-1]))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tokens/s")
}

// reportCPU reads cpu now and returns the function that reports, as
// metric, the CPU time spent since per b.N.
func reportCPU(b *testing.B, metric string, cpu func(testing.TB) time.Duration) func() {
	c0 := cpu(b)
	return func() { b.ReportMetric(float64((cpu(b)-c0).Microseconds())/float64(b.N), metric) }
}

// processCPU is this process's CPU time, user and system.
func processCPU(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clusterCPU is the CPU time of the test cluster's postmaster and of every
// process it started (backends, WAL writer, ...), from /proc/PID/schedstat
// (nanoseconds on a CPU). A backend that ended took its time with it:
// the pools keep theirs for the whole benchmark.
func clusterCPU(t testing.TB) time.Duration {
	pidFile, err := os.ReadFile(filepath.Join(cluster.Dir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	postmaster, _, _ := strings.Cut(string(pidFile), "\n")
	procs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var sum time.Duration
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + p.Name() + "/stat")
		if err != nil {
			continue // ended meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, not ")".
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if p.Name() != postmaster && (len(f) < 2 || f[1] != postmaster) {
			continue
		}
		sched, err := os.ReadFile("/proc/" + p.Name() + "/schedstat")
		if err != nil {
			continue
		}
		ns, _, _ := strings.Cut(string(sched), " ")
		n, err := strconv.ParseInt(ns, 10, 64)
		if err != nil {
			t.Fatalf("/proc/%s/schedstat: %v", p.Name(), err)
		}
		sum += time.Duration(n)
	}
	return sum
}

// BenchmarkReplayAddLone is one jti recorded by one caller at a time: a
// batch of one, a token endpoint's cost on a quiet sandbox (round trip,
// statement and commit all its own).
func BenchmarkReplayAddLone(b *testing.B) {
	pg, err := Open(context.Background(), newDB(b), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer pg.Close()
	r := pg.Replay()
	now := time.Now()
	defer reportCPU(b, "pg-cpu-µs/op", clusterCPU)()
	defer reportCPU(b, "cpu-µs/op", processCPU)()
	b.ResetTimer()
	for i := range b.N {
		if err := r.Add(context.Background(), "client", strconv.Itoa(i), now, now.Add(time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
}
