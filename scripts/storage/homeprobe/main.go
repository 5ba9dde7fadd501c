// home-probe: stands in for the workshop's learner container in the persistent-home test (the session dashboard
// image is rebuilt whenever src/ changes; this one never is). At start it looks for $PROBE_FILE: when it is there,
// it logs "found: <its content>"; otherwise it writes $PROBE_TEXT into it and logs "wrote: <text>". Then it waits
// for SIGTERM. The file is written as whatever user the pod runs as (1001 in the workshop pod).
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	file := os.Getenv("PROBE_FILE")
	if file == "" {
		fmt.Fprintln(os.Stderr, "home-probe: PROBE_FILE is not set")
		os.Exit(2)
	}
	data, err := os.ReadFile(file)
	switch {
	case err == nil:
		fmt.Printf("found: %s\n", data)
	case errors.Is(err, fs.ErrNotExist):
		if err := os.WriteFile(file, []byte(os.Getenv("PROBE_TEXT")), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "home-probe: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("wrote: %s\n", os.Getenv("PROBE_TEXT"))
	default:
		fmt.Fprintf(os.Stderr, "home-probe: %v\n", err)
		os.Exit(1)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
}
