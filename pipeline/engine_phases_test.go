package pipeline

import "testing"

// TestEngineWindows checks which of a job's windows take the other's
// share (engine.windows): a spilling shuffle's, with byte windows, where
// no unit or row group is charged less than its estimate.
func TestEngineWindows(t *testing.T) {
	const win = 100
	spill := &spillShuffle{}
	tests := []struct {
		name                   string
		order                  orderer
		inFlight               int64 // both windows' bytes; 0: counted in units
		unitBytes              []int64
		rowBytes               int64 // with 10 rows a row group
		unitSize, jobSize, spa int64
	}{
		{"spill", spill, win, []int64{40, 60}, 5, 2 * win, win, win},
		{"input order", inputOrder{}, win, []int64{40, 60}, 5, win, win, 0},
		{"memory shuffle", &memoryShuffle{}, win, []int64{40, 60}, 5, win, win, 0},
		{"counted", spill, 0, []int64{40, 60}, 5, 3, 3, 0},
		{"unit capped", spill, win, []int64{40, win}, 5, win, win, win},
		{"row group capped", spill, win, []int64{40, 60}, 10, 2 * win, win, 0},
		{"row group over", spill, win, []int64{40, 60}, 50, 2 * win, win, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &engine{order: tt.order, workers: 2, unitsInFlight: tt.inFlight, jobsInFlight: tt.inFlight, rowBytes: tt.rowBytes, rowGroupRows: 10}
			for _, b := range tt.unitBytes {
				e.units = append(e.units, unit{bytes: b})
			}
			u, j, s := e.windows()
			if u != tt.unitSize || j != tt.jobSize || s != tt.spa {
				t.Errorf("windows() = %d, %d, %d; want %d, %d, %d", u, j, s, tt.unitSize, tt.jobSize, tt.spa)
			}
		})
	}
}
