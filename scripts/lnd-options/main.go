// Command lnd-options prints every option lnd's parser accepts, one per line, as
// tab-separated fields: the long name with its namespace (the --flag and lnd.conf key),
// the short name (or -), the Go field name (go-flags also matches lnd.conf keys by it),
// whether the option takes a value, and the option group path.
//
// scripts/tools.sh builds it inside lnd's own module, so the list always comes from the
// lnd version pinned in scripts/versions.env; the operator's copy of the list is checked
// against it by a test.
package main

import (
	"fmt"
	"os"
	"strings"

	flags "github.com/jessevdk/go-flags"
	"github.com/lightningnetwork/lnd"
)

func main() {
	cfg := lnd.DefaultConfig()
	parser := flags.NewParser(&cfg, flags.Default)
	walk(parser.Group, nil)
}

func walk(g *flags.Group, path []string) {
	if g.ShortDescription != "" {
		path = append(path, g.ShortDescription)
	}
	for _, o := range g.Options() {
		short := "-"
		if o.ShortName != 0 {
			short = string(o.ShortName)
		}
		long := o.LongNameWithNamespace()
		if long == "" {
			long = "-"
		}
		kind := "value"
		if o.Field().Type.Kind().String() == "bool" {
			kind = "bool"
		}
		fmt.Fprintf(os.Stdout, "%s\t%s\t%s\t%s\t%s\n",
			long, short, o.Field().Name, kind, strings.Join(path, "/"))
	}
	for _, sub := range g.Groups() {
		walk(sub, path)
	}
}
