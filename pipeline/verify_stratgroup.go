package pipeline

import (
	"context"
	"fmt"
	"math/big"
	"slices"

	"github.com/splitdata/splitdata/internal/scratch"
)

// verifyStratGroups rebuilds the placement of a stratified grouped job
// (--stratify with --group, docs/algorithm.md section 17) from the inputs
// for verify --input, which then checks every row against it: each group
// whole in its split, since the placement gives every row its group's
// split. It also checks the manifest's record of the outcome (groups,
// classes, each split's rows per class) against the recomputed one, so a
// manifest whose class shares were altered fails. memory bounds the state
// held as it bounds the job's (half of its heap budget for the per-row
// tables).
func verifyStratGroups(ctx context.Context, m *Manifest, p *plan, memory int64) (placeFunc, func(i int64) int, func(), error) {
	seed, ok := new(big.Int).SetString(m.Seed, 10)
	if !ok {
		return nil, nil, nil, fmt.Errorf("%w: seed %q is not a decimal integer", ErrBadManifest, m.Seed)
	}
	place, _, info, release, err := stratGroupPlacer(ctx, m.Options.Splits, p, m.Options.Group, m.Options.Stratify, seed,
		SplitConfig{}.withDefaults().Workers, heapBudget(memory)/2, scratch.Local(""), noProgress{})
	if err != nil {
		return nil, nil, nil, err
	}
	if err := sameStratGroups(m.StratifiedGroups, info); err != nil {
		release()
		return nil, nil, nil, err
	}
	return place, nil, release, nil
}

// sameStratGroups compares a manifest's record of stratified groups with
// the one the inputs give.
func sameStratGroups(got, want *StratifiedGroupsInfo) error {
	if got == nil {
		return fmt.Errorf("%w: a stratified grouped split without its stratified_groups record", ErrBadManifest)
	}
	if got.Groups != want.Groups {
		return fmt.Errorf("%w: stratified_groups: %d groups, the inputs hold %d", ErrBadManifest, got.Groups, want.Groups)
	}
	if !slices.EqualFunc(got.Classes, want.Classes, func(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }) {
		return fmt.Errorf("%w: stratified_groups: %d classes that are not the inputs' %d", ErrBadManifest, len(got.Classes), len(want.Classes))
	}
	if len(got.Splits) != len(want.Splits) {
		return fmt.Errorf("%w: stratified_groups: %d splits, want %d", ErrBadManifest, len(got.Splits), len(want.Splits))
	}
	for j, w := range want.Splits {
		g := got.Splits[j]
		if g.Name != w.Name || g.Groups != w.Groups || !slices.Equal(g.Rows, w.Rows) {
			return fmt.Errorf("%w: stratified_groups: split %q has %d groups and rows per class %v, the inputs give %q %d groups and %v",
				ErrBadManifest, g.Name, g.Groups, g.Rows, w.Name, w.Groups, w.Rows)
		}
	}
	return nil
}
