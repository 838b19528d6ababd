// Dirsplit splits the Parquet, Arrow IPC, CSV or JSONL files of a directory
// 80/10/10 with a fixed seed: go run ./examples/dirsplit DIR OUT
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: dirsplit DIR OUT")
	}
	splits, err := splitter.ParseRatios("train=0.8,valid=0.1,test=0.1")
	if err != nil {
		log.Fatal(err)
	}
	cfg := pipeline.SplitConfig{Inputs: []string{os.Args[1]}, Out: os.Args[2], Seed: "42", Splits: splits}
	m, err := pipeline.Split(context.Background(), cfg)
	if err != nil {
		log.Fatal(err) // usage errors wrap pipeline.ErrUsage, bad input *sources.InputError
	}
	for _, s := range m.Splits {
		fmt.Printf("%s: %s in %s\n", s.Name, counted(s.Rows, "row"), counted(int64(len(s.Files)), "file"))
	}
}

// counted is "1 file" or "2 files".
func counted(n int64, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}
