package sources

import (
	"fmt"
	"strings"
	"testing"
)

// batchesValueBytes reads every unit of src as a batch and returns the
// bytes of their values: fixed-width slots and strings' bytes.
func batchesValueBytes(t *testing.T, src BatchReader, units int) int64 {
	t.Helper()
	var n int64
	for i := range units {
		b, err := src.ReadBatch(t.Context(), i)
		if err != nil {
			t.Fatal(err)
		}
		for c := range b.Cols {
			n += int64(len(b.Cols[c].Fixed) + len(b.Cols[c].Bytes))
		}
	}
	return n
}

// A CSV input's DecodedBytes is what its batches' values take, exactly:
// the scan at open measures every field, whatever its quoting, nulls or
// column types; up to session 22 the plan counted the file's size.
func TestCSVDecodedBytes(t *testing.T) {
	var long strings.Builder
	long.WriteString("id,x,label,note\n")
	for i := range 3000 {
		fmt.Fprintf(&long, "%d,%d.25,c%d,\"a, \"\"quoted\"\" note %d\"\n", i, i, i%7, i)
	}
	for _, tc := range []struct {
		name string
		data string
		opts CSVOptions
	}{
		{"every type", "s,b,i,d,day,at\nx,true,1,1.5,2024-01-02,2024-01-02T03:04:05.123456Z\n,,,,,\n\"q,\"\"\",FALSE,-9,NaN,1970-01-01,2024-05-01 12:30:00+02:00\n",
			CSVOptions{Schema: "s:string,b:bool,i:int64,d:double,day:date,at:timestamp"}},
		{"null text", "a;b;c\nNA;;x\n1;NA;NA\n\"NA\";\"\";y\n", CSVOptions{Delimiter: ';', Null: "NA"}},
		{"multi-line", "a,b\n1,\"multi\r\nline\"\r\n\r\n2,\r\n,z\r\n", CSVOptions{}},
		{"inferred, many units", long.String(), CSVOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withUnitRows(t, 100)
			c, err := openCSVString(tc.data, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := c.DecodedBytes(), batchesValueBytes(t, c, c.NumUnits()); got != want {
				t.Errorf("DecodedBytes = %d, the batches' values take %d", got, want)
			}
		})
	}
}

// A JSON Lines input's DecodedBytes counts its fixed-width columns
// exactly and its strings from the sample: exactly when every record is
// sampled, and within a few percent of them when the sample's strings
// are like the rest; never more strings than the file's bytes. Its text
// is far larger than its values (keys, quotes, digits): counting it, up
// to session 22, took this shape at about 1.9 times its values.
func TestJSONLDecodedBytes(t *testing.T) {
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, "{\"id\": %d, \"score\": %d.5, \"label\": \"c%d\", \"text\": \"user %d viewed item %x\"}\n", i, i, i%7, i%100, i*7919)
	}
	data := b.String()
	for _, tc := range []struct {
		name  string
		opts  JSONLOptions
		slack float64 // allowed relative error
	}{
		{"every record sampled", JSONLOptions{InferRows: -1}, 0},
		{"a sample of 1000", JSONLOptions{}, 0.05},
		{"given schema", JSONLOptions{Schema: "id:int64,score:double,label:string,text:string"}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withJSONLUnitRows(t, 700)
			j, err := openJSONLString(data, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, want := j.DecodedBytes(), batchesValueBytes(t, j, j.NumUnits())
			switch {
			case tc.slack < 0: // strings not measured: at most the file's bytes
				if got < want || got > 16*j.NumRows()+int64(len(data)) {
					t.Errorf("DecodedBytes = %d, want between the values' %d and the fixed widths and the file's size, %d", got, want, 16*j.NumRows()+int64(len(data)))
				}
			case float64(got) < float64(want)*(1-tc.slack) || float64(got) > float64(want)*(1+tc.slack):
				t.Errorf("DecodedBytes = %d, the batches' values take %d (allowed error %.0f%%)", got, want, 100*tc.slack)
			}
			if tc.slack >= 0 && float64(j.Size()) < 1.5*float64(want) {
				t.Errorf("the file's %d bytes are not far above its values' %d: the test no longer shows what counting the size cost", j.Size(), want)
			}
		})
	}
}

// A unit holding one long record counts that record: units' estimates
// share the string bytes by their text, not evenly by rows (up to session
// 22 a 60 MiB record's unit was counted at a share by rows, and the
// refusal named the wrong records).
func TestTextUnitDecodedBytes(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,s\n")
	for i := range 200 {
		fmt.Fprintf(&b, "%d,v%d\n", i, i)
	}
	long := strings.Repeat("x", 1<<20)
	fmt.Fprintf(&b, "200,%s\n", long)
	for i := 201; i < 400; i++ {
		fmt.Fprintf(&b, "%d,v%d\n", i, i)
	}
	withUnitRows(t, 100)
	c, err := openCSVString(b.String(), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for i := range c.NumUnits() {
		got := c.RowGroupDecodedBytes(i)
		sum += got
		holds := c.units[i].offset <= int64(strings.Index(b.String(), long)) && int64(strings.Index(b.String(), long)) < c.unitEnd(i)
		if holds && got < int64(len(long))*99/100 || !holds && got > 100*24 {
			t.Errorf("unit %d (long record: %v) counted at %d bytes", i, holds, got)
		}
	}
	if d := c.DecodedBytes(); sum < d-2*int64(c.NumUnits()) || sum > d {
		t.Errorf("units sum to %d, DecodedBytes = %d", sum, d)
	}
}
