package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/flamock/flamock/mockfla"
)

const stateUsage = `Usage: flamock state check FILE [--json]

  check    read a state file written by 'flamock serve --state' without changing it and
           report its records, resources and damage (exit 1 if a record is damaged)
`

func runState(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, stateUsage)
		return errUsage
	}
	switch args[0] {
	case "check":
		return runStateCheck(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, stateUsage)
		return nil
	}
	fmt.Fprint(stderr, stateUsage)
	return usageErrorf("unknown subcommand %q", args[0])
}

func runStateCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flamock state check", "flamock state check FILE [--json]",
		`Read a state file of 'flamock serve --state' the way serve does on start, without changing
it, and report what it holds. A damaged record (its checksum or form is wrong) is listed
with its offset and the exit status is 1; serve would skip it, keep the intact records
before and after it, and keep the original as FILE.damaged-<time>. An unfinished last
record is a write cut short by a crash, never acknowledged: it is reported, not an error.`)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, err := parseFlags(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("state check takes one FILE")
	}
	rep, err := mockfla.CheckStateFile(pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.MarshalIndent(map[string]any{
			"file": pos[0], "ok": len(rep.Damaged) == 0, "records": rep.Records, "resources": rep.Resources,
			"damaged": append([]mockfla.Damage{}, rep.Damaged...), "tornTailBytes": rep.TornTail, "bytes": rep.Bytes,
		}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		fmt.Fprintf(stdout, "%s: %d bytes, %d intact records, %d resources\n", pos[0], rep.Bytes, rep.Records, rep.Resources)
		if rep.TornTail > 0 {
			fmt.Fprintf(stdout, "unfinished last record: %d bytes (a write cut short by a crash, never acknowledged; serve drops it)\n", rep.TornTail)
		}
		for _, d := range rep.Damaged {
			fmt.Fprintf(stdout, "DAMAGED: %d bytes at offset %d\n", d.Bytes, d.Offset)
		}
	}
	if len(rep.Damaged) > 0 {
		fmt.Fprintf(stderr, "flamock state check: %s: %d damaged records\n", pos[0], len(rep.Damaged))
		return errFailed
	}
	return nil
}
