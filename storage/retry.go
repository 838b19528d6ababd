package storage

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Retry is how requests that fail for a reason that may pass (throttling,
// 5xx, timeouts, dropped connections) are sent again: up to Attempts
// times in all, waiting a random time in [0, min(Max, Base·2^n)) before
// attempt n+1 ("full jitter", so that many workers throttled at once do
// not come back at once). The zero value is [DefaultRetry].
type Retry struct {
	Attempts int           // 0: 10
	Base     time.Duration // 0: 50ms
	Max      time.Duration // 0: 5s
}

// DefaultRetry is the policy of a zero [Retry]: 10 attempts, waits from
// 50ms doubling up to 5s, so about 15s of waiting before giving up.
var DefaultRetry = Retry{Attempts: 10, Base: 50 * time.Millisecond, Max: 5 * time.Second}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = DefaultRetry.Attempts
	}
	if r.Base <= 0 {
		r.Base = DefaultRetry.Base
	}
	if r.Max <= 0 {
		r.Max = DefaultRetry.Max
	}
	return r
}

// jitter draws the random waits. Its values decide only when a request is
// sent again, never what is read or written.
var jitter = struct {
	sync.Mutex
	r *rand.Rand
}{r: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x9e3779b97f4a7c15))}

func (r Retry) wait(attempt int) time.Duration {
	d := r.Base << min(attempt, 30)
	if d <= 0 || d > r.Max {
		d = r.Max
	}
	jitter.Lock()
	defer jitter.Unlock()
	return time.Duration(jitter.r.Int64N(int64(d)) + 1)
}

// do calls f until it succeeds, fails for good, or the attempts are spent;
// f returns the HTTP status of a failed request (0 when none came back).
// The last error is returned as f returned it. retries, when not nil,
// counts the attempts after the first.
func (r Retry) do(ctx context.Context, retries func(), f func() (status int, err error)) error {
	r = r.withDefaults()
	for attempt := 0; ; attempt++ {
		status, err := f()
		if err == nil || attempt+1 >= r.Attempts || !retryable(status, err) {
			return err
		}
		if ctx.Err() != nil {
			return err
		}
		if retries != nil {
			retries()
		}
		t := time.NewTimer(r.wait(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
