package sinks

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// refRuns is appendIndexRuns as 0.7.0 wrote it, visiting every maximal
// run of equal indexes in turn: nextRun must find the same runs.
func refRuns(dst []byte, idx []int32, width uint) []byte {
	shortest := 1
	for !runPays(shortest, width) {
		shortest++
	}
	lit := 0
	for i := 0; i < len(idx); {
		v := idx[i]
		j := i + 1
		for j < len(idx) && idx[j] == v {
			j++
		}
		if j-i < shortest {
			i = j
			continue
		}
		k := 0
		if p := i - lit; p%8 != 0 {
			k = min(8-p%8, j-i)
		}
		if n := j - i - k; n > 0 && runPays(n, width) {
			if i+k > lit {
				dst = appendPackedRun(dst, idx[lit:i+k], width)
			}
			dst = appendRLERun(dst, n, v, width)
			lit = j
		}
		i = j
	}
	tail := lit + (len(idx)-lit)/8*8
	if tail > lit {
		dst = appendPackedRun(dst, idx[lit:tail], width)
	}
	for i := tail; i < len(idx); {
		j := i + 1
		for j < len(idx) && idx[j] == idx[i] {
			j++
		}
		dst = appendRLERun(dst, j-i, idx[i], width)
		i = j
	}
	return dst
}

// TestIndexRunsScan checks appendIndexRuns, whose run search skips
// ahead, against refRuns on pages of every width from 1 to 32 whose run
// lengths (1 to 12) sit around each width's shortest paying run, at
// every offset against the search's stride and the groups of 8.
func TestIndexRunsScan(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for width := uint(1); width <= 32; width++ {
		for _, maxRun := range []int{2, 4, 12} {
			t.Run(fmt.Sprintf("width %d runs to %d", width, maxRun), func(t *testing.T) {
				for range 20 {
					var idx []int32
					n := r.IntN(600)
					for len(idx) < n {
						v := int32(r.Uint64() >> (64 - width))
						if len(idx) > 0 && v == idx[len(idx)-1] {
							continue // keep runs at their drawn length
						}
						for range 1 + r.IntN(maxRun) {
							idx = append(idx, v)
						}
					}
					w := indexRunWidth(idx)
					if w == 0 {
						continue
					}
					want := refRuns([]byte{byte(w)}, idx, w)
					if got := appendIndexRuns(nil, idx); !bytes.Equal(got, want) {
						t.Fatalf("%v:\n got %x\nwant %x", idx, got, want)
					}
				}
			})
		}
	}
}
