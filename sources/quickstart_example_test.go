package sources_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sources"
)

// The quick start: open an input (here CSV data in memory; sources.Open
// opens a file by path) and read its rows, unit by unit, as Parquet rows of
// its schema.
func Example() {
	data := "id,name\n1,Ada\n2,Grace\n"
	src, err := sources.OpenReaderAt("people.csv", strings.NewReader(data), int64(len(data)), sources.Options{})
	if err != nil {
		log.Fatal(err) // bad input is a *sources.InputError naming the file and line
	}
	defer src.Close()
	fmt.Println(src.NumRows(), "rows in", src.NumUnits(), "unit")
	for u := range src.NumUnits() {
		err := src.ReadUnit(context.Background(), u, 1024, func(rows []parquet.Row) error {
			for _, row := range rows {
				fmt.Println(row[0].Int64(), string(row[1].ByteArray()))
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// 2 rows in 1 unit
	// 1 Ada
	// 2 Grace
}
