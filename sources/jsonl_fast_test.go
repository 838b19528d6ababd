package sources

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/splitdata/splitdata/internal/columnar"
)

// fastPairs spells the pairs splitObject cuts line into, as
// parseLine's callback sees them, and whether it took the line.
func fastPairs(line []byte) ([]string, bool) {
	var st jsonLine
	ok := splitObject(line, &st)
	var out []string
	for _, p := range st.pairs {
		var v any
		switch p.kind {
		case jsonTrue:
			v = true
		case jsonFalse:
			v = false
		case jsonNumber:
			v = json.Number(p.text)
		case jsonString:
			v = string(p.text)
		}
		out = append(out, fmt.Sprintf("%q=%#v", p.key, v))
	}
	return out, ok
}

// refPairs spells the pairs parseLine, over encoding/json, reads.
func refPairs(line []byte) ([]string, error) {
	var out []string
	err := (&JSONL{}).parseLine(line, func(key string, tok any) error {
		out = append(out, fmt.Sprintf("%q=%#v", key, tok))
		return nil
	})
	return out, err
}

var jsonSeeds = []string{
	`{"a":1,"b":"x","c":true,"d":false,"e":null}`, ` { "a" : -0.5e+3 , "b":"é" } ` + "\r", `{}`, ` {} `,
	`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":"\u00e9"}`, `{"a":"x\ty"}`,
	`{"a":tru}`, `{"a":truex}`, `{"a":[1]}`, `{"a":{}}`, `{"a":1,}`, `{,}`, `{"a":1}x`, `{"a":1}{}`,
	`[1]`, `1`, `"a"`, `{"a" 1}`, `{"a":1 "b":2}`, `{"a":"b`, `{"a":1`, `{a:1}`, `{"a":1,"a":2}`,
	`{"a\"b":"c\\d\/e\b\f\n\r\t"}`, `{"a":"\u00e9\u20AC\ud83d\ude00"}`, `{"a":"\ud83d"}`, `{"a":"\ud83dx"}`,
	`{"a":"\ude00\ud83d"}`, `{"a":"\ud83d\u0041"}`, `{"a":"\ud83d\u00"}`, `{"a":"\u00g0"}`, `{"a":"\x"}`, `{"a":"\'"}`,
	`{"a":"x\"}`, `{"a":"x\`, `{"a":"\u0000"}`, "{\"a\":\"\\u00e9\x01\"}", `{"é":"\"é\""}`,
	`{"a":nul}`, `{"a":1E400}`, `{"a":-0}`, `{"a":123456789012345678901234567890}`,
}

func TestJSONLSplitObject(t *testing.T) {
	for _, s := range jsonSeeds {
		compareSplitObject(t, []byte(s))
	}
}

// compareSplitObject fails unless a line of valid UTF-8 that splitObject
// takes is read by parseLine without error to the same pairs.
func compareSplitObject(t *testing.T, line []byte) {
	t.Helper()
	got, ok := fastPairs(line)
	if !ok || !utf8.Valid(line) { // the batch path checks UTF-8 first, as parseLine does
		return // parseLine reads it, whatever it is
	}
	want, err := refPairs(line)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("line %q: splitObject gives %q, parseLine %q, %v", line, got, want, err)
	}
}

// FuzzJSONLSplit compares splitObject with encoding/json on any line.
func FuzzJSONLSplit(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		compareSplitObject(t, line)
	})
}

// BenchmarkJSONLBatch opens and reads into batches a file of typical
// records, one in ten with an escape (read by parseLine).
func BenchmarkJSONLBatch(b *testing.B) {
	var sb strings.Builder
	for i := range 100000 {
		text := "some text"
		if i%10 == 0 {
			text = `say \"hi\"`
		}
		fmt.Fprintf(&sb, `{"id":%d,"user":%d,"label":"label%d","score":%g,"extra":null,"text":"%s %d","ok":true}`+"\n", i, i%977, i%13, float64(i)/7, text, i)
	}
	data := sb.String()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var reuse *columnar.Batch
	for b.Loop() {
		j, err := openJSONLString(data, JSONLOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for i := range j.NumUnits() {
			if reuse, err = j.ReadBatchInto(b.Context(), i, reuse); err != nil {
				b.Fatal(err)
			}
		}
	}
}
