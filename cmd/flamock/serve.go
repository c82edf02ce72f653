package main

import (
	"context"
	"fmt"
	"io"
)

func runServe(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flamock serve", "flamock serve [flags]",
		"Run the mock OAuth v5 token endpoint and the mock FLA API.")
	pos, err := parseFlags(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("unexpected argument %q", pos[0])
	}
	fmt.Fprintln(stdout, "flamock serve: not yet available: the mock token endpoint and FLA API are being built.")
	fmt.Fprintln(stdout, "Meanwhile: flamock cert create --cn \"My company\" --out ./mycompany")
	return nil
}
