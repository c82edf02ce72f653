package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/store"
	_ "github.com/flamock/flamock/store/postgres" // postgres:// and postgresql:// store URLs
)

// openSharedStore opens the store a shared sandbox's replicas use (serve
// --store, verify --store): a URL such as postgres://user@host/db.
func openSharedStore(ctx context.Context, url string, logger *slog.Logger) (store.Backend, error) {
	b, err := store.Open(ctx, url, store.Options{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("--store: %w", err)
	}
	return b, nil
}

// maxJournalPages bounds what verify reads from a shared journal: pages of
// the backend's size (10,000 events for PostgreSQL), far beyond any run.
const maxJournalPages = 1000

// readSharedJournal reads every event of the shared journal at url, every
// replica's, in sequence order.
func readSharedJournal(ctx context.Context, url string) ([]journal.Event, error) {
	b, err := openSharedStore(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	j := b.Journal()
	var all []journal.Event
	var since uint64
	for range maxJournalPages {
		evs := j.Events(since)
		if err := j.Err(); err != nil {
			return nil, fmt.Errorf("--store: reading the journal: %w", err)
		}
		if len(evs) == 0 {
			return all, nil
		}
		all = append(all, evs...)
		since = evs[len(evs)-1].Seq
	}
	return nil, fmt.Errorf("--store: the journal holds more than %d pages of events; reset it between runs (POST /__admin/reset)", maxJournalPages)
}

// signingKeyName is the shared key under which replicas keep the RSA key
// of JWT access tokens (PKCS #8, DER).
const signingKeyName = "oauth.signingKey"

// sharedKeys is what a shared store offers for keys all replicas use.
type sharedKeys interface {
	SharedKey(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error)
}

// sharedSigningKey returns the access-token signing key every replica on
// b uses: made by the first replica that needs it, read by the others.
func sharedSigningKey(ctx context.Context, b store.Backend) (*rsa.PrivateKey, error) {
	ks, ok := b.(sharedKeys)
	if !ok {
		return nil, errors.New("--store: this store cannot share the access-token signing key; name one with oauth.signingKey")
	}
	der, err := ks.SharedKey(ctx, signingKeyName, func() ([]byte, error) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		return x509.MarshalPKCS8PrivateKey(k)
	})
	if err != nil {
		return nil, fmt.Errorf("--store: the shared access-token signing key: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if rk, ok := k.(*rsa.PrivateKey); err == nil && ok {
		return rk, nil
	}
	return nil, fmt.Errorf("--store: the shared access-token signing key in the store is not an RSA private key (%v)", err)
}

// openServeStore opens serve's shared store (--store, store:) and gives
// the token endpoint the replicas' shared signing key, unless the config
// names one. Nil without a store: the embedded one.
func openServeStore(fc *fileConfig, oc *mockoauth.Config, logger *slog.Logger) (store.Backend, error) {
	if fc.Store == "" {
		return nil, nil
	}
	var errs []error
	if fc.State != "" {
		errs = append(errs, errors.New("--state and --store exclude each other: with --store the database keeps the resources"))
	}
	if fc.Journal != "" {
		errs = append(errs, errors.New("--journal and --store exclude each other: with --store the journal is in the database (flamock verify --store reads it)"))
	}
	if oc.AccessTokens == mockoauth.AccessTokensOpaque {
		errs = append(errs, errors.New("oauth.accessTokens: opaque access tokens are remembered by the replica that issued them; with --store use jwt (the default)"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := openSharedStore(ctx, fc.Store, logger)
	if err != nil {
		return nil, err
	}
	if oc.SigningKey == nil {
		if oc.SigningKey, err = sharedSigningKey(ctx, b); err != nil {
			b.Close()
			return nil, err
		}
	}
	return b, nil
}

// Close stops the stack, then closes the shared store it used.
func (s *serveSetup) Close() error {
	err := s.Stack.Close()
	if s.shared != nil {
		if cerr := s.shared.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// redactURL hides a password in a store URL for the banner.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(a store URL)"
}
