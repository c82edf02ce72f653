package main

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// gcFloor is how much the heap of flamock serve may grow beyond the live
// heap before a collection, when the user sets neither GOGC nor
// GOMEMLIMIT. A mock's live heap is small (the journal ring, the store):
// with Go's default (GOGC=100) it collects every few hundred requests
// under load, and the collector costs as much CPU as a third of the
// request. 64 MiB above the live heap makes that a few times rarer for
// about as much more memory; above 64 MiB of live heap the default rule
// (twice the live heap) applies again.
const gcFloor = 64 << 20

// tuneGC sets the collector's percent from the live heap once a second
// until ctx ends, so that the heap goal is the live heap plus gcFloor, at
// least twice the live heap. It does nothing when GOGC or GOMEMLIMIT is
// set: the user's choice wins. It reports whether it runs.
func tuneGC(ctx context.Context) bool {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return false
	}
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		last := 100
		for {
			select {
			case <-ctx.Done():
				if last != 100 {
					debug.SetGCPercent(100) // as it was: GOGC is not set
				}
				return
			case <-tick.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				return
			}
			if p := gcPercent(sample[0].Value.Uint64()); p != last {
				debug.SetGCPercent(p)
				last = p
			}
		}
	}()
	return true
}

// gcPercent is the GOGC that puts the heap goal at live+gcFloor: at least
// 100 (Go's default), at most 10,000, rounded down to a multiple of 50 so
// that a live heap that wavers does not reset it every second.
func gcPercent(live uint64) int {
	if live == 0 {
		return 100
	}
	p := min(gcFloor*100/live, 10000)
	p -= p % 50
	return max(int(p), 100)
}
