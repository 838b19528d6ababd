package pipeline

import "github.com/splitdata/splitdata/sources"

// Cuts exposes cuts, where a row group's units end, to tests.
var Cuts = cuts

// CutAndCheckUnits cuts the units of in (one input, its row groups in
// order) as a columnar split under a unit budget of budget bytes would,
// checks them under memory (checkUnits), and returns the units' estimated
// bytes and the check's error.
func CutAndCheckUnits(in sources.Source, budget, memory int64) ([]int64, error) {
	var units []unit
	var start int64
	for rg := range in.NumUnits() {
		n := in.UnitNumRows(rg)
		units = append(units, unit{seq: rg, rg: rg, start: start, rows: n})
		start += n
	}
	units = cutUnits([]sources.Source{in}, units, budget, true, false)
	bytes := make([]int64, len(units))
	for k, u := range units {
		bytes[k] = u.bytes
	}
	return bytes, checkUnits([]sources.Source{in}, units, memory)
}
