package sources_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sources"
)

// TestShareDictionaries reads a dictionary-encoded row group in units, as
// the engine does, with its dictionaries shared: every unit's batch holds
// the rows of a whole read, each dictionary is decoded once per job
// (whatever the number of units), more reads than announced keep their
// own, and nothing stays cached once the announced reads have ended.
func TestShareDictionaries(t *testing.T) {
	dict := encodingFor(&parquet.RLEDictionary, allKinds...)
	tests := []struct {
		name string
		opts []parquet.WriterOption
	}{
		{"dictionary v1 zstd", append([]parquet.WriterOption{parquet.DataPageVersion(1), parquet.Compression(&parquet.Zstd), parquet.PageBufferSize(512)}, dict...)},
		{"dictionary v2 overflowing", append([]parquet.WriterOption{parquet.DictionaryMaxBytes(200), parquet.PageBufferSize(512)}, dict...)},
	}
	const nrows = 2000
	for _, tc := range tests {
		for _, fetch := range []bool{false, true} {
			name := tc.name
			if fetch {
				name += ", fetched"
			}
			t.Run(name, func(t *testing.T) {
				data := writeWide(t, wideRows(nrows, 9), nil, append(tc.opts, parquet.MaxRowsPerRowGroup(nrows))...)
				var r io.ReaderAt = bytes.NewReader(data)
				if fetch {
					r = newFetcher(data)
				}
				p, err := sources.OpenParquet("shared", r, int64(len(data)))
				if err != nil {
					t.Fatal(err)
				}
				all, err := readAllRows(t.Context(), p, 0)
				if err != nil {
					t.Fatal(err)
				}
				var perJob []int
				for _, parts := range []int{2, 7} {
					before, _, _ := sources.SharedDictionaries(p)
					p.ShareDictionaries(0, parts)
					firsts, counts, batches := make([]int64, parts), make([]int64, parts), make([]*columnar.Batch, parts)
					errs := make([]error, parts)
					var wg sync.WaitGroup
					for k := range parts {
						first, end := int64(k)*nrows/int64(parts), int64(k+1)*nrows/int64(parts)
						firsts[k], counts[k] = first, end-first
						wg.Go(func() {
							batches[k], errs[k] = p.ReadBatchRangeInto(t.Context(), 0, first, end-first, nil)
						})
					}
					wg.Wait()
					for k := range parts {
						if errs[k] != nil {
							t.Fatalf("%d units, unit %d: %v", parts, k, errs[k])
						}
						if int64(batches[k].Len) != counts[k] {
							t.Fatalf("%d units, unit %d: %d rows, want %d", parts, k, batches[k].Len, counts[k])
						}
						compareBatch(t, int(firsts[k]), all[firsts[k]:firsts[k]+counts[k]], batches[k])
					}
					after, rowGroups, held := sources.SharedDictionaries(p)
					perJob = append(perJob, after-before)
					if rowGroups != 0 || held != 0 {
						t.Errorf("%d units: %d row groups and %d dictionaries still cached after the last unit", parts, rowGroups, held)
					}
				}
				if perJob[0] == 0 || perJob[0] != perJob[1] {
					t.Errorf("dictionaries decoded per job: %v for 2 and 7 units, want the same number, not 0", perJob)
				}
				// A read more than announced, and reads not announced at all.
				p.ShareDictionaries(0, 2)
				for k := range int64(4) {
					b, err := p.ReadBatchRangeInto(t.Context(), 0, k*500, 500, nil)
					if err != nil {
						t.Fatal(err)
					}
					compareBatch(t, int(k*500), all[k*500:k*500+500], b)
				}
				if _, rowGroups, held := sources.SharedDictionaries(p); rowGroups != 0 || held != 0 {
					t.Errorf("after more reads than announced: %d row groups and %d dictionaries cached", rowGroups, held)
				}
			})
		}
	}
}

// dictFile writes rows rows of a dictionary-encoded int64 column "ts"
// (distinct values ts of them) and a dictionary-encoded string column
// "cat" of distinct values of width bytes each, in one row group.
func dictFile(t *testing.T, rows, distinct, width int) []byte {
	t.Helper()
	schema := parquet.NewSchema("t", parquet.Group{
		"cat": parquet.Encoded(parquet.String(), &parquet.RLEDictionary),
		"ts":  parquet.Encoded(parquet.Int(64), &parquet.RLEDictionary),
	})
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema, parquet.MaxRowsPerRowGroup(int64(rows)), parquet.DictionaryMaxBytes(1<<30))
	for i := range rows {
		k := i % distinct
		cat := fmt.Sprintf("%0*d", width, k)
		row := parquet.Row{parquet.ByteArrayValue([]byte(cat)).Level(0, 0, 0), parquet.Int64Value(int64(k)*1_000_000).Level(0, 0, 1)}
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The memory estimates count what dictionaries cost decoded: a
// dictionary-encoded int64 column at 8 bytes a row (DecodedBytes), and
// the dictionaries a unit holds (RowGroupDictionaryBytes) at least at
// their values' bytes, and at most their pages' bytes plus an offset
// each; a dictionary page lying about its size counts nothing (the read
// refuses it).
func TestDictionaryEstimates(t *testing.T) {
	const rows, distinct, width = 3000, 1000, 50
	data := dictFile(t, rows, distinct, width)
	p, err := sources.OpenParquet("dict", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	values := int64(rows*8 + rows*width) // ts and cat, repeated in full
	if got := p.RowGroupDecodedBytes(0); got < values {
		t.Errorf("RowGroupDecodedBytes = %d, want at least the %d bytes of the values decoded", got, values)
	}
	dicts := int64(distinct*8 + distinct*width)
	most := dicts + 2*4*(distinct+1) + 2*distinct*4 // offsets, and a length per string in the page
	if got := p.RowGroupDictionaryBytes(0); got < dicts || got > most {
		t.Errorf("RowGroupDictionaryBytes = %d, want between %d and %d", got, dicts, most)
	}
	honest := int64s(t, 100, 10) // one dictionary-encoded column
	f := splitPages(t, honest)
	f.page(t, format.DictionaryPage).h.DictionaryPageHeader.V.NumValues = sources.MaxPageValues + 1
	lying := f.bytes(t)
	h, err := sources.OpenParquet("honest", bytes.NewReader(honest), int64(len(honest)))
	if err != nil {
		t.Fatal(err)
	}
	q, err := sources.OpenParquet("lying", bytes.NewReader(lying), int64(len(lying)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := q.RowGroupDictionaryBytes(0), h.RowGroupDictionaryBytes(0); got != 0 || want < 80 {
		t.Errorf("RowGroupDictionaryBytes = %d with a dictionary page declaring %d values, want 0; %d for the honest file, want at least its 80 bytes of values", got, sources.MaxPageValues+1, want)
	}
	q.ShareDictionaries(0, 2)
	var ie *sources.InputError
	if _, err := q.ReadBatchRangeInto(t.Context(), 0, 0, 10, nil); !errors.As(err, &ie) || ie.Column != "v" || !strings.Contains(err.Error(), "dictionary of 16777217 values") {
		t.Errorf("read of a dictionary page declaring %d values: %v, want an InputError naming column v and the dictionary", sources.MaxPageValues+1, err)
	}
}
