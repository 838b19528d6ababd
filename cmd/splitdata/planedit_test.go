package main

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// repeated is a planedit value "[JSON]*N": an array of N copies of JSON.
var repeated = regexp.MustCompile(`^\[(.*)\]\*([0-9]+)$`)

// cmdPlanEdit is the script command "planedit FILE PATH=VALUE...": it sets
// fields of the JSON document in FILE, as a hostile or careless user
// editing plan.json would. PATH is dotted (options.rows_per_file,
// units.0.rows; array elements by index), VALUE is JSON or "[JSON]*N"
// for an array of N copies, so that scripts can craft large plans without
// holding them.
func cmdPlanEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: planedit FILE PATH=VALUE...")
	}
	file := ts.MkAbs(args[0])
	data, err := os.ReadFile(file)
	ts.Check(err)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	ts.Check(dec.Decode(&doc))
	for _, arg := range args[1:] {
		path, text, ok := strings.Cut(arg, "=")
		if !ok {
			ts.Fatalf("planedit: %q is not PATH=VALUE", arg)
		}
		var value any
		if m := repeated.FindStringSubmatch(text); m != nil {
			n, err := strconv.Atoi(m[2])
			ts.Check(err)
			var elem any
			ts.Check(json.Unmarshal([]byte(m[1]), &elem))
			arr := make([]any, n)
			for i := range arr {
				arr[i] = elem
			}
			value = arr
		} else {
			d := json.NewDecoder(strings.NewReader(text))
			d.UseNumber()
			if err := d.Decode(&value); err != nil {
				ts.Fatalf("planedit: value of %s: %v", path, err)
			}
		}
		keys := strings.Split(path, ".")
		node := doc
		for i, k := range keys {
			last := i == len(keys)-1
			switch n := node.(type) {
			case map[string]any:
				if last {
					n[k] = value
				} else {
					node = n[k]
				}
			case []any:
				j, err := strconv.Atoi(k)
				if err != nil || j < 0 || j >= len(n) {
					ts.Fatalf("planedit: %s: no element %s", path, k)
				}
				if last {
					n[j] = value
				} else {
					node = n[j]
				}
			default:
				ts.Fatalf("planedit: %s: %s is not an object or array", path, strings.Join(keys[:i], "."))
			}
		}
	}
	out, err := json.Marshal(doc)
	ts.Check(err)
	ts.Check(os.WriteFile(file, out, 0o644))
}
