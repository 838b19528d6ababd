package sinks_test

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/splitdata/splitdata/sinks"
)

// rowSlice is a parquet.RowReader over rows.
type rowSlice []parquet.Row

func (s *rowSlice) ReadRows(dst []parquet.Row) (int, error) {
	n := copy(dst, *s)
	*s = (*s)[n:]
	if len(*s) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// Row groups are encoded on several goroutines, then appended in order to
// one file; the bytes do not depend on which goroutine encoded what.
func Example() {
	schema := parquet.NewSchema("scores", parquet.Group{
		"name":  parquet.String(),
		"score": parquet.Optional(parquet.Int(64)),
	})
	row := func(name string, score int64, known bool) parquet.Row {
		s := parquet.NullValue().Level(0, 0, 1)
		if known {
			s = parquet.Int64Value(score).Level(0, 1, 1)
		}
		return parquet.Row{parquet.ByteArrayValue([]byte(name)).Level(0, 0, 0), s}
	}
	parts := []rowSlice{
		{row("alice", 90, true), row("bob", 0, false)},
		{row("carol", 75, true), row("dave", 60, true)},
	}

	opts := sinks.ParquetOptions{Compression: "zstd", CreatedBy: "example 1.0"}
	enc, err := sinks.NewRowGroupEncoder(schema, opts)
	if err != nil {
		log.Fatal(err)
	}
	groups := make([]*sinks.EncodedRowGroup, len(parts))
	var g errgroup.Group
	for i := range parts {
		g.Go(func() (err error) {
			groups[i], err = enc.Encode(&parts[i])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		log.Fatal(err)
	}

	var buf bytes.Buffer
	w, err := sinks.NewParquetFileWriter(&buf, schema, opts, []sinks.KeyValue{{Key: "split", Value: "train"}})
	if err != nil {
		log.Fatal(err)
	}
	for _, rg := range groups {
		if err := w.Append(rg); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		log.Fatal(err)
	}
	split, _ := f.Lookup("split")
	fmt.Printf("%d row groups, %d rows, created by %q, split %s\n", len(f.RowGroups()), f.NumRows(), f.Metadata().CreatedBy, split)
	type score struct {
		Name  string `parquet:"name"`
		Score *int64 `parquet:"score,optional"`
	}
	r := parquet.NewGenericReader[score](f)
	defer r.Close()
	scores := make([]score, f.NumRows())
	if _, err := r.Read(scores); err != nil && err != io.EOF {
		log.Fatal(err)
	}
	for _, s := range scores {
		if s.Score == nil {
			fmt.Println(s.Name, "unknown")
			continue
		}
		fmt.Println(s.Name, *s.Score)
	}
	// Output:
	// 2 row groups, 4 rows, created by "example 1.0", split train
	// alice 90
	// bob unknown
	// carol 75
	// dave 60
}
