package store

import (
	"context"
	"fmt"

	"github.com/flamock/flamock/internal/fault"
)

// FaultQueues is the embedded Faults: one fault.Queue per target. Take
// matches without a lock on an immutable snapshot and uses a request with
// one atomic decrement, so a fault's Count is never exceeded; Pending is
// one atomic load.
type FaultQueues struct {
	q [2]fault.Queue // by fault.Target
}

// NewFaults returns empty queues.
func NewFaults() *FaultQueues { return &FaultQueues{} }

func (f *FaultQueues) queue(t fault.Target) (*fault.Queue, error) {
	if t != fault.API && t != fault.Token {
		return nil, fmt.Errorf("fault target %d is neither the API nor the token endpoint", t)
	}
	return &f.q[t], nil
}

// Add implements Faults.
func (f *FaultQueues) Add(_ context.Context, t fault.Target, fs ...fault.Fault) error {
	q, err := f.queue(t)
	if err != nil {
		return err
	}
	q.Add(fs...)
	return nil
}

// Take implements Faults.
func (f *FaultQueues) Take(_ context.Context, t fault.Target, method, path, client string) (fault.Fault, bool, error) {
	q, err := f.queue(t)
	if err != nil {
		return fault.Fault{}, false, err
	}
	got, ok := q.TakeFor(method, path, client)
	return got, ok, nil
}

// List implements Faults.
func (f *FaultQueues) List(_ context.Context, t fault.Target) ([]fault.Listed, error) {
	q, err := f.queue(t)
	if err != nil {
		return nil, err
	}
	return q.List(), nil
}

// Clear implements Faults.
func (f *FaultQueues) Clear(_ context.Context, t fault.Target) error {
	q, err := f.queue(t)
	if err != nil {
		return err
	}
	q.Clear()
	return nil
}

// ClearClient implements Faults.
func (f *FaultQueues) ClearClient(_ context.Context, t fault.Target, client string) error {
	q, err := f.queue(t)
	if err != nil {
		return err
	}
	if client != "" {
		q.ClearClient(client)
	}
	return nil
}

// Pending implements Faults.
func (f *FaultQueues) Pending(t fault.Target) bool {
	q, err := f.queue(t)
	return err == nil && q.Len() > 0
}
