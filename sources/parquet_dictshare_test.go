package sources_test

import (
	"bytes"
	"io"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"

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
