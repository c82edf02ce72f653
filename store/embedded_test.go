package store_test

import (
	"path/filepath"
	"testing"

	"github.com/flamock/flamock/store"
	"github.com/flamock/flamock/store/storetest"
)

// The embedded backend runs the contract in memory and with a state file.
func TestEmbedded_Contract(t *testing.T) {
	for _, tc := range []struct{ name, file string }{{"Memory", ""}, {"File", "state.log"}} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) []store.Backend {
				cfg := store.EmbeddedConfig{}
				if tc.file != "" {
					cfg.StateFile = filepath.Join(t.TempDir(), tc.file)
				}
				e, err := store.NewEmbedded(cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { e.Close() })
				return []store.Backend{e}
			})
		})
	}
}
