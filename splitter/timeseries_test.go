package splitter_test

import (
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

// timeseriesVectors is splitter/testdata/timeseries_vectors.json, made by
// gen_timeseries_vectors.py with Debian's python3-sklearn 1.2.
type timeseriesVectors struct {
	Sklearn    string `json:"sklearn"`
	Timeseries []struct {
		N            int64     `json:"n"`
		K            int       `json:"k"`
		Gap          int64     `json:"gap"`
		MaxTrainSize int64     `json:"max_train_size"`
		TestSize     int64     `json:"test_size"`
		Folds        [][]int64 `json:"folds"`
		Error        string    `json:"error"`
	} `json:"timeseries"`
	Traintest []struct {
		N         int64   `json:"n"`
		TrainSize string  `json:"train_size"`
		TestSize  string  `json:"test_size"`
		Train     []int64 `json:"train"`
		Test      []int64 `json:"test"`
		Error     string  `json:"error"`
	} `json:"traintest"`
	Order []struct {
		Kind   string            `json:"kind"`
		Nulls  string            `json:"nulls"`
		Values []json.RawMessage `json:"values"`
		Sizes  []int64           `json:"sizes"`
		IDs    []uint8           `json:"ids"`
	} `json:"order"`
}

func readTimeseriesVectors(t *testing.T) timeseriesVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/timeseries_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v timeseriesVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Timeseries) == 0 || len(v.Traintest) == 0 || len(v.Order) == 0 {
		t.Fatal("empty vectors")
	}
	return v
}

// TestTimeSeriesFoldsSklearn checks TimeSeriesFolds against scikit-learn's
// TimeSeriesSplit: the same train and test ranges for every n, k, gap,
// max_train_size and test_size of the vectors, and a refusal where
// scikit-learn raises.
func TestTimeSeriesFoldsSklearn(t *testing.T) {
	v := readTimeseriesVectors(t)
	for _, c := range v.Timeseries {
		o := splitter.TimeSeriesOptions{Gap: c.Gap, MaxTrainSize: c.MaxTrainSize, TestSize: c.TestSize}
		folds, err := splitter.TimeSeriesFolds(c.N, c.K, o)
		if c.Error != "" {
			if err == nil {
				t.Errorf("n %d, k %d, %+v: folds %v, scikit-learn refuses: %s", c.N, c.K, o, folds, c.Error)
			}
			continue
		}
		if err != nil {
			t.Errorf("n %d, k %d, %+v: %v", c.N, c.K, o, err)
			continue
		}
		var got [][]int64
		for _, f := range folds {
			got = append(got, []int64{f.TrainStart, f.TrainEnd, f.TestStart, f.TestEnd})
		}
		if !slices.EqualFunc(got, c.Folds, slices.Equal) {
			t.Errorf("n %d, k %d, %+v: folds %v, scikit-learn %v", c.N, c.K, o, got, c.Folds)
		}
		// The segments cover every rank once, and each output gets
		// exactly its fold's ranges.
		sizes, outs := splitter.FoldSegments(c.N, folds)
		var total int64
		perOutput := make([]int64, 2*len(folds))
		for s, size := range sizes {
			total += size
			for _, o := range outs[s] {
				perOutput[o] += size
			}
		}
		if total != c.N {
			t.Errorf("n %d, k %d: segments cover %d ranks", c.N, c.K, total)
		}
		for j, f := range folds {
			if perOutput[2*j] != f.TrainEnd-f.TrainStart || perOutput[2*j+1] != f.TestEnd-f.TestStart {
				t.Errorf("n %d, k %d: fold %d gets %d train and %d test rows from its segments, want %v", c.N, c.K, j, perOutput[2*j], perOutput[2*j+1], f)
			}
		}
	}
}

// TestTrainTestSklearn checks --train-size and --test-size against
// train_test_split(shuffle=False): the same numbers of train and test rows
// (train the first rows, test the next), and a refusal where scikit-learn
// raises.
func TestTrainTestSklearn(t *testing.T) {
	v := readTimeseriesVectors(t)
	for _, c := range v.Traintest {
		tt, err := splitter.ParseTrainTest(c.TrainSize, c.TestSize)
		var splits []splitter.Split
		if err == nil {
			splits, err = tt.Splits(c.N)
		}
		if c.Error != "" {
			if err == nil {
				t.Errorf("n %d, train %q, test %q: splits %v, scikit-learn refuses: %s", c.N, c.TrainSize, c.TestSize, splits, c.Error)
			}
			continue
		}
		if err != nil {
			t.Errorf("n %d, train %q, test %q: %v", c.N, c.TrainSize, c.TestSize, err)
			continue
		}
		want := []int64{c.Train[1] - c.Train[0], c.Test[1] - c.Test[0]}
		got := []int64{splits[0].Rows, splits[1].Rows}
		if c.Train[0] != 0 || c.Test[0] != c.Train[1] || !slices.Equal(got, want) {
			t.Errorf("n %d, train %q, test %q: sizes %v, scikit-learn %v and %v", c.N, c.TrainSize, c.TestSize, got, c.Train, c.Test)
		}
	}
}

// TestOrderVectors checks the order keys, OrderBoundaries and the exact
// assigner against the Python reference of docs/algorithm.md section 18 on
// integer and float values with ties, -0.0, NaN, infinities and nulls.
func TestOrderVectors(t *testing.T) {
	v := readTimeseriesVectors(t)
	for ci, c := range v.Order {
		keys := make([]uint64, len(c.Values))
		for i, raw := range c.Values {
			switch {
			case string(raw) == "null":
				keys[i] = splitter.NullOrderKey(c.Nulls)
			case c.Kind == "int":
				n, err := strconv.ParseInt(string(raw), 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				keys[i] = splitter.OrderKeyInt(n)
			default:
				var s string
				if err := json.Unmarshal(raw, &s); err != nil {
					t.Fatal(err)
				}
				f, err := strconv.ParseFloat(s, 64)
				if err != nil {
					t.Fatal(err)
				}
				keys[i] = splitter.OrderKeyFloat(f)
			}
		}
		for _, workers := range []int{1, 3} {
			b, err := splitter.OrderBoundaries(t.Context(), keyBatches(keys, []int{7}), int64(len(keys)), c.Sizes, workers, 0)
			if err != nil {
				t.Fatalf("case %d: %v", ci, err)
			}
			ids := make([]uint8, len(keys))
			splitter.NewExactAssigner(b, len(c.Sizes)).Assign(keys, 0, ids)
			if !slices.Equal(ids, c.IDs) {
				t.Fatalf("case %d (%s, nulls %s, sizes %v): ids %v, Python %v", ci, c.Kind, c.Nulls, c.Sizes, ids, c.IDs)
			}
		}
	}
}
