package sources_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/sources"
)

// TestPageStartsChecksOnce checks the page headers PageStarts reads as a
// read checks them, and that a row group is taken as checked only once its
// headers all passed: a lying header refused by PageStarts is refused again
// by the read after it, and a good row group reads the same after
// PageStarts as on its own.
func TestPageStartsChecksOnce(t *testing.T) {
	small := parquet.PageBufferSize(256)
	tests := []struct {
		name  string
		edit  func(f *pageFile) // nil: the file as written
		inErr string
	}{
		{name: "good"},
		{name: "nulls", inErr: "nulls among", edit: func(f *pageFile) {
			f.pages[len(f.pages)-1].h.DataPageHeaderV2.V.NumNulls = 1 << 20
		}},
		{name: "values", inErr: "the footer says", edit: func(f *pageFile) {
			f.md.RowGroups[0].Columns[0].MetaData.NumValues++
		}},
		{name: "dictionary", inErr: "dictionary of", edit: func(f *pageFile) {
			f.page(t, format.DictionaryPage).h.DictionaryPageHeader.V.NumValues = 1_000_001
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := splitPages(t, int64s(t, 2000, 10, small))
			if len(f.pages) < 3 {
				t.Fatalf("%d pages", len(f.pages))
			}
			if tc.edit != nil {
				tc.edit(f)
			}
			data := f.bytes(t)
			open := func() *sources.Parquet {
				p, err := sources.OpenParquet("f.parquet", bytes.NewReader(data), int64(len(data)))
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				return p
			}
			p := open()
			starts, err := p.PageStarts(0)
			b, rerr := p.ReadBatch(t.Context(), 0)
			if tc.edit != nil {
				for i, err := range []error{err, rerr} {
					var ie *sources.InputError
					if !errors.As(err, &ie) || !errors.Is(err, sources.ErrCorrupt) || ie.Column != "v" || !strings.Contains(err.Error(), tc.inErr) {
						t.Errorf("call %d: err = %v, want an InputError wrapping ErrCorrupt naming column v, saying %q", i, err, tc.inErr)
					}
				}
				return
			}
			if err != nil || rerr != nil {
				t.Fatalf("PageStarts: %v; ReadBatch: %v", err, rerr)
			}
			if len(starts) < 2 || starts[0] != 0 {
				t.Errorf("PageStarts = %v, want the first rows of several pages from 0", starts)
			}
			alone, err := open().ReadBatch(t.Context(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(b, alone) {
				t.Error("the batch read after PageStarts differs from the one read alone")
			}
		})
	}
}
