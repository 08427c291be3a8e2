// Command whybot explains marketing KPIs against a company's values, limits and goals, asks
// the people who hold the missing facts, and drafts answers that a human approves.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/whybot/whybot/cmd/whybot/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
