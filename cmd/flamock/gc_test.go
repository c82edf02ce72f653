package main

import (
	"context"
	"testing"
)

func TestGCPercent(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want int
	}{
		{0, 100}, {1, 10000}, {4 << 20, 1600}, {6 << 20, 1050}, {8 << 20, 800}, {48 << 20, 100}, {64 << 20, 100}, {1 << 30, 100},
	} {
		if got := gcPercent(tc.live); got != tc.want {
			t.Errorf("gcPercent(%d) = %d, want %d", tc.live, got, tc.want)
		}
	}
}

func TestTuneGC_UserSettingWins(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t.Setenv("GOGC", "100")
	if tuneGC(ctx) {
		t.Error("tuneGC runs although GOGC is set")
	}
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "1GiB")
	if tuneGC(ctx) {
		t.Error("tuneGC runs although GOMEMLIMIT is set")
	}
}
