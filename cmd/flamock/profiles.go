package main

import (
	"context"
	"fmt"
	"io"

	"github.com/flamock/flamock/profiles"
)

func runProfiles(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flamock profiles", "flamock profiles",
		"List the API profiles: the name serve --profile takes, and what the profile serves. The default\nis "+profiles.Default+"; serve --spec FILE without --profile uses generic.")
	if err := parseNoArgs(fs, args, stdout, stderr); err != nil {
		return err
	}
	for _, p := range profiles.All() {
		def := ""
		if p.Name == profiles.Default {
			def = " (default)"
		}
		fmt.Fprintf(stdout, "%-10s %s%s\n", p.Name, p.Summary, def)
	}
	return nil
}
