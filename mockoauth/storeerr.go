package mockoauth

import (
	"time"

	"github.com/flamock/flamock/store"
)

// storeRetry is the Retry-After of a refusal because a store failed: the
// store's hint, else store.DefaultRetryAfter.
func storeRetry(err error) time.Duration {
	if d, ok := store.RetryAfter(err); ok {
		return d
	}
	return store.DefaultRetryAfter
}
