package storage_test

import (
	"os"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/storage"
)

// TestParquetFromS3 reads a generated Parquet file from the fake S3
// through an Object with the sources package, as the engine will, and
// compares every row with a read of the same file on local disk.
func TestParquetFromS3(t *testing.T) {
	f := s3Fixture(t)
	dir := t.TempDir()
	paths, err := gendata.Write(t.Context(), dir, gendata.Config{Rows: 40000, RowGroupRows: 6000, Seed: 7, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	f.put(t, "in/part-00000.parquet", data)
	s := f.open(t, storage.Options{BlockSize: 64 << 10, ReadAhead: 512 << 10})
	objs, err := s.Glob(t.Context(), "in/*.parquet")
	if err != nil || len(objs) != 1 {
		t.Fatalf("glob: %v, %v", objs, err)
	}
	o := s.OpenInfo(t.Context(), objs[0])
	defer o.Close()
	remote, err := sources.OpenParquet(o.Name(), o, o.Size())
	if err != nil {
		t.Fatal(err)
	}
	local, err := sources.OpenParquetFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if remote.NumUnits() != local.NumUnits() || remote.NumRows() != local.NumRows() || remote.NumUnits() < 2 {
		t.Fatalf("remote has %d units %d rows; local %d units %d rows", remote.NumUnits(), remote.NumRows(), local.NumUnits(), local.NumRows())
	}
	rows := func(src *sources.Parquet, i int) []parquet.Row {
		var out []parquet.Row
		if err := src.ReadUnit(t.Context(), i, 1000, func(rs []parquet.Row) error {
			for _, r := range rs {
				out = append(out, r.Clone())
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for i := range remote.NumUnits() {
		r, l := rows(remote, i), rows(local, i)
		if len(r) != len(l) {
			t.Fatalf("unit %d: %d rows remote, %d local", i, len(r), len(l))
		}
		for j := range r {
			if !r[j].Equal(l[j]) {
				t.Fatalf("unit %d row %d differs", i, j)
			}
		}
	}
	if err := o.CheckUnchanged(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bytes read by %d GETs (%d retries) for a %d-byte file", s.Stats().BytesRead.Load(), s.Stats().Get.Load(), s.Stats().Retries.Load(), o.Size())
}
