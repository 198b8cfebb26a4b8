// Command vectorgen writes the golden vectors of the skirmish.v1 contract
// (package vectors) to the file named by its argument.
package main

import (
	"fmt"
	"os"

	"github.com/skirmishgg/skirmish/game/vectors"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: vectorgen FILE")
		os.Exit(2)
	}
	b, err := vectors.JSON()
	if err == nil {
		err = os.WriteFile(os.Args[1], b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vectorgen:", err)
		os.Exit(1)
	}
}
