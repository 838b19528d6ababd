package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// The lock of an output prefix (H/lock, see the commit protocol in
// output.go): created with a conditional write, refreshed by its holder,
// taken over when its holder stopped refreshing it.

// lockInfo is the content of a lock object: who holds it, for messages.
type lockInfo struct {
	Run     string `json:"run"`
	Host    string `json:"host"`
	PID     int    `json:"pid"`
	Started string `json:"started"`
	// Refresh counts the rewrites, so that each gives the object a new
	// version even on stores whose version is a hash of the content.
	Refresh int `json:"refresh"`
}

// lockHolder keeps a lock object refreshed until release.
type lockHolder struct {
	s       *Store
	key     string
	info    lockInfo
	mu      sync.Mutex
	version string
	lost    error
	stop    chan struct{}
	stopped chan struct{}
}

// acquire creates the lock object key, or takes over a stale one, and
// keeps it refreshed.
func (s *Store) acquire(ctx context.Context, key, run string, opts OutputOptions) (*lockHolder, error) {
	host, _ := os.Hostname()
	mine := lockInfo{Run: run, Host: host, PID: os.Getpid(), Started: time.Now().UTC().Format(time.RFC3339)}
	body, _ := json.Marshal(mine)
	// Every write of the lock goes through putRecord: a lock body names
	// its run and counts its refreshes, so a condition failed by this
	// run's own earlier attempt, whose answer was lost, is told from
	// another run's lock.
	v, err := s.putRecord(ctx, key, body, cond{absent: true})
	if errors.Is(err, errPrecondition) {
		var held []byte
		var info ObjectInfo
		held, info, err = s.getBytes(ctx, key, 1<<20)
		if errors.Is(err, ErrNotFound) { // released meanwhile
			v, err = s.putRecord(ctx, key, body, cond{absent: true})
		} else if err == nil {
			var li lockInfo
			json.Unmarshal(held, &li)
			age := time.Since(info.ModTime)
			// A holder on this host whose process is gone was killed:
			// its lock need not age first.
			dead := li.Host == host && li.PID > 0 && li.PID != os.Getpid() && !processAlive(li.PID)
			if age <= opts.LockTTL && !dead {
				return nil, fmt.Errorf("%w: %s: run %s on %s (pid %d) refreshed it %s ago; if that run is dead, it is taken over %s after its last refresh, or run clean",
					ErrLocked, s.url(key), li.Run, li.Host, li.PID, age.Round(time.Second), opts.LockTTL)
			}
			v, err = s.putRecord(ctx, key, body, cond{match: info.Version})
			if err == nil {
				if dead {
					opts.Notice(fmt.Sprintf("took over the lock %s of run %s, whose process %d on this host is gone", s.url(key), li.Run, li.PID))
				} else {
					opts.Notice(fmt.Sprintf("took over the lock %s of run %s on %s, not refreshed for %s", s.url(key), li.Run, li.Host, age.Round(time.Second)))
				}
			}
		}
		if errors.Is(err, errPrecondition) {
			return nil, fmt.Errorf("%w: %s: another run took it at the same time", ErrLocked, s.url(key))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", s.url(key), err)
	}
	h := &lockHolder{s: s, key: key, info: mine, version: v, stop: make(chan struct{}), stopped: make(chan struct{})}
	go h.refresh(context.WithoutCancel(ctx), opts.LockRefresh)
	return h, nil
}

// refresh rewrites the lock every period, on condition that it is still
// the version this run wrote; a lock found changed is lost.
func (h *lockHolder) refresh(ctx context.Context, period time.Duration) {
	defer close(h.stopped)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.mu.Lock()
		v := h.version
		h.info.Refresh++
		body, _ := json.Marshal(h.info)
		h.mu.Unlock()
		nv, err := h.s.putRecord(ctx, h.key, body, cond{match: v})
		h.mu.Lock()
		switch {
		case errors.Is(err, errPrecondition):
			h.lost = fmt.Errorf("%w: %s was taken over by another run (this run was taken for dead)", ErrLocked, h.s.url(h.key))
		case err == nil:
			h.version = nv
		}
		h.mu.Unlock()
		if h.lost != nil {
			return
		}
	}
}

// check reports a lock lost to another run.
func (h *lockHolder) check() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lost
}

// release stops refreshing and removes the lock, unless another run took
// it over.
func (h *lockHolder) release(ctx context.Context) error {
	select {
	case <-h.stop:
		return nil // released already
	default:
	}
	close(h.stop)
	<-h.stopped
	if h.check() != nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	info, err := h.s.Stat(ctx, h.key)
	if err != nil || info.Version != h.version {
		return nil // gone, or not ours any more
	}
	return h.s.Remove(ctx, h.key)
}
