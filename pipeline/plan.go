package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/splitter"
)

// Sharded runs (docs/scale-out.md). A split job is planned once (CreatePlan:
// footers read, every row's split counted from its key, exact thresholds
// found), run as N independent shards (RunShard), and merged (Merge) into
// output byte-identical to Split's. The output layout (which rows form
// which row group of which file) follows from the per-unit split counts
// alone, so the plan fixes it: shard k encodes the row groups whose first
// row lies in its range of units, reading on past its range as far as
// those groups need, and writes each group as a file of its own; the merge
// only concatenates encoded row groups and writes footers.

// PlanName is the plan's file name in a sharded job's output directory.
const PlanName = "plan.json"

// PlanVersion is the version of the plan file format. Version 2 records
// each input's modification time and the hash of its ends (PlanInput).
const PlanVersion = 2

// shardsDir holds the shards' outputs until the merge.
const shardsDir = ".shards"

// maxPlanRowGroups bounds the output row groups a plan may lay out: 2^39
// rows at the default row group size.
const maxPlanRowGroups = 1 << 22

// MaxShards is the most shards a plan may have (docs/scale-out.md): more
// than job-array engines run (Kubernetes allows 100,000 completions of an
// Indexed Job, Slurm 1,001 array tasks by default), few enough that the
// merge's record of every shard stays small.
const MaxShards = 1 << 16

// MaxPlanBytes is the largest plan file [ReadPlan] reads: about three
// million work units. A larger file is refused before it is read.
const MaxPlanBytes = 256 << 20

// ErrShards reports a merge that found shards missing or damaged.
var ErrShards = errors.New("shards missing or damaged")

// Plan is a sharded split job, as plan.json holds it.
type Plan struct {
	PlanVersion int    `json:"plan_version"`
	Tool        string `json:"tool"`
	Version     string `json:"version"`
	Algorithm   int    `json:"algorithm"`
	// Dir is the working directory relative input paths are resolved
	// against: where the plan was made.
	Dir           string          `json:"dir"`
	Seed          string          `json:"seed"`
	SeedText      string          `json:"seed_text,omitempty"`
	SeedGenerated bool            `json:"seed_generated,omitempty"`
	Options       ManifestOptions `json:"options"`
	Inputs        []PlanInput     `json:"inputs"`
	Rows          int64           `json:"rows"`
	Unassigned    int64           `json:"unassigned"`
	// Boundaries are the exact split's upper rank boundaries (absent for
	// approximate splits, whose thresholds follow from the ratios).
	Boundaries []splitter.Boundary `json:"boundaries,omitempty"`
	// Units are the work units: row groups with their global row offsets
	// and how many of their rows go to each split.
	Units []PlanUnit `json:"units"`
	// Shards[k] is the first unit of shard k; shard k's range ends where
	// shard k+1's starts (the last at the end of Units).
	Shards []int `json:"shards"`
}

// PlanInput is an input as a plan records it: its path, size and rows, and
// what identifies its contents, so that a shard or the merge can refuse a
// file that changed since the plan (docs/scale-out.md).
type PlanInput struct {
	InputInfo
	// ModTime is the file's modification time when planned, in UTC. It,
	// EndsSHA256, Location and Version shadow InputInfo's fields of the
	// same names, which stay zero in a plan.
	ModTime time.Time `json:"mod_time"`
	// EndsSHA256 is the SHA-256, in hex, of the file's first and last
	// [IdentityBytes] (the whole file when it is at most twice that size).
	EndsSHA256 string `json:"ends_sha256"`
	// Location, for an input given as an [ObjectInput] (an object in a
	// bucket), is where the shards and the merge open it, through their
	// [ObjectOpener]; Path is then its name, not a local path, and ModTime
	// is zero. Empty for a local file.
	Location string `json:"location,omitempty"`
	// Version is the object's version when planned (an ETag, a GCS
	// generation); a shard refuses another. Empty for a local file.
	Version string `json:"version,omitempty"`
}

// inputInfos returns the inputs as a manifest records them.
func (p *Plan) inputInfos() []InputInfo {
	infos := make([]InputInfo, len(p.Inputs))
	for i, in := range p.Inputs {
		infos[i] = in.InputInfo
		infos[i].ModTime, infos[i].EndsSHA256 = in.ModTime, in.EndsSHA256
		infos[i].Location, infos[i].Version = in.Location, in.Version
	}
	return infos
}

// inputPath is input i's path, resolved against the planning directory.
func (p *Plan) inputPath(i int) string {
	path := p.Inputs[i].Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.Dir, path)
	}
	return path
}

// PlanUnit is one work unit of a plan.
type PlanUnit struct {
	Input    int     `json:"input"`
	RowGroup int     `json:"row_group"`
	Start    int64   `json:"start"`
	Rows     int64   `json:"rows"`
	Counts   []int64 `json:"counts"` // rows per split, in split order
}

// CreatePlan plans cfg as a job of shards independent tasks and writes the
// plan to cfg.Out/plan.json. It reads only the inputs' footers and draws
// every row's key (no data is read). Sharded jobs are exact or approximate
// splits in input order, with Parquet output; --shuffle and --group are
// refused for now (they need a global order or the data's values).
func CreatePlan(ctx context.Context, cfg SplitConfig, shards int) (*Plan, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	switch {
	case shards < 1:
		return nil, fmt.Errorf("%w: --shards must be at least 1, got %d", ErrUsage, shards)
	case shards > MaxShards:
		// run-shard refuses a plan of more (ReadPlan): refuse it here,
		// before the inputs are read, rather than write one no shard runs.
		return nil, fmt.Errorf("%w: --shards %d: a plan may have at most %d shards", ErrUsage, shards, MaxShards)
	case cfg.Shuffle:
		return nil, fmt.Errorf("%w: sharded runs do not support --shuffle yet", ErrUsage)
	case cfg.Group != "" || cfg.Stratify != "" || cfg.Compat != "":
		return nil, fmt.Errorf("%w: sharded runs do not support --group, --stratify or --compat yet", ErrUsage)
	case cfg.GroupByContent:
		return nil, fmt.Errorf("%w: sharded runs do not support --group-by-content yet", ErrUsage)
	case cfg.OrderBy != "" || cfg.TrainTest != nil:
		return nil, fmt.Errorf("%w: sharded runs do not support --order-by or --train-size yet", ErrUsage)
	case cfg.Format != sinks.FormatParquet:
		return nil, fmt.Errorf("%w: sharded runs write Parquet only, not %s", ErrUsage, cfg.Format)
	}
	for _, src := range cfg.Sources {
		if src.object == nil {
			return nil, fmt.Errorf("%w: a sharded plan reads its inputs by path, or as objects another machine opens: input %s is neither (give Inputs, or ObjectInput Sources)", ErrUsage, src.Name())
		}
	}
	seed, pl, out, release, err := startJob(cfg)
	if err != nil {
		return nil, err
	}
	defer release()
	master, err := masterGenerator(seed.value, 0)
	if err != nil {
		return nil, err
	}
	assigner, unassigned, err := newAssigner(ctx, cfg, master, pl.rows)
	if err != nil {
		return nil, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	p := &Plan{
		PlanVersion:   PlanVersion,
		Tool:          "splitdata",
		Version:       Version,
		Algorithm:     AlgorithmVersion,
		Dir:           wd,
		Seed:          seed.value.String(),
		SeedText:      seed.text,
		SeedGenerated: seed.generated,
		Options:       manifestOptions(cfg, job{command: "split"}),
		Rows:          pl.rows,
		Unassigned:    unassigned,
	}
	if !cfg.Approx {
		p.Boundaries = assigner.Boundaries()
	}
	for i, info := range pl.infos() {
		var in PlanInput
		if i < len(pl.local) {
			in, err = planInput(info)
		} else {
			in, err = planObject(info, cfg.Sources[i-len(pl.local)].object)
		}
		if err != nil {
			return nil, err
		}
		p.Inputs = append(p.Inputs, in)
	}
	cfg.Progress.Phase("count", pl.rows)
	keys := make([]uint64, readBatch)
	ids := make([]uint8, readBatch)
	for _, u := range pl.units {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		gen := *master
		gen.Advance(uint64(u.start))
		counts := make([]int64, len(cfg.Splits))
		for done := int64(0); done < u.rows; {
			k := int(min(int64(readBatch), u.rows-done))
			gen.Fill(keys[:k])
			assigner.Assign(keys[:k], u.start+done, ids[:k])
			for _, id := range ids[:k] {
				if int(id) < len(counts) {
					counts[id]++
				}
			}
			done += int64(k)
		}
		p.Units = append(p.Units, PlanUnit{Input: u.input, RowGroup: u.rg, Start: u.start, Rows: u.rows, Counts: counts})
		cfg.Progress.Add(u.rows)
	}
	p.Shards = shardStarts(p.Units, pl.rows, shards)
	// The identities were read after the inputs were opened: if the files
	// are still the ones opened, the plan describes the files it counted.
	if err := pl.checkUnchanged(); err != nil {
		return nil, err
	}
	// The directory appears with its plan, atomically; with Overwrite it
	// replaces an earlier job's directory, shards and all.
	data, err := jsonFile(p)
	if err == nil {
		err = out.writeFile(PlanName, data)
	}
	if err != nil {
		return nil, fmt.Errorf("write plan: %w", err)
	}
	if err := out.Commit(ctx, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// shardStarts cuts units into shards ranges of about equal rows: shard k
// starts at the first unit that begins at or after row k*n/shards. Shards
// may be empty when there are fewer units than shards.
func shardStarts(units []PlanUnit, n int64, shards int) []int {
	starts := make([]int, shards)
	u := 0
	for k := range shards {
		target := int64(float64(n) * float64(k) / float64(shards))
		for u < len(units) && units[u].Start < target {
			u++
		}
		starts[k] = u
	}
	return starts
}

// ReadPlan reads and checks a plan file.
func ReadPlan(path string) (*Plan, []byte, error) {
	data, err := readFileMax(path, MaxPlanBytes)
	if err != nil {
		return nil, nil, err
	}
	p, err := ParsePlan(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, data, nil
}

// isManifest reports whether data is a JSON object with a manifest's
// "command" and "splits" fields, which a plan does not have.
func isManifest(data []byte) bool {
	var m struct {
		Command *string         `json:"command"`
		Splits  json.RawMessage `json:"splits"`
	}
	return json.Unmarshal(data, &m) == nil && m.Command != nil && m.Splits != nil
}

// ParsePlan decodes a plan and checks that it is consistent: known fields
// only, the tool's plan and algorithm versions, units covering the rows in
// order with counts that add up, shards in range, valid boundaries.
func ParsePlan(data []byte) (*Plan, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		if isManifest(data) {
			return nil, errors.New("invalid plan: this is a run's manifest.json, not a plan: give the plan.json that splitdata plan wrote in its --out")
		}
		return nil, fmt.Errorf("invalid plan: %w", err)
	}
	if dec.More() {
		return nil, errors.New("invalid plan: data after the JSON object")
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("invalid plan: %s", fmt.Sprintf(format, args...))
	}
	switch {
	case p.PlanVersion != PlanVersion:
		return nil, bad("plan version %d, this splitdata reads %d", p.PlanVersion, PlanVersion)
	case p.Algorithm != AlgorithmVersion:
		return nil, bad("algorithm version %d, this splitdata implements %d", p.Algorithm, AlgorithmVersion)
	case p.Version != Version:
		// Another version may encode the same rows into other bytes (0.2.0
		// changed the default snappy encoder), and the merge would join
		// files of both: every shard and the merge run the planning
		// version.
		return nil, bad("made by splitdata %q, this is %s: run every shard and the merge with the splitdata that planned, or plan again", p.Version, Version)
	case len(p.Options.Splits) == 0 || len(p.Options.Splits) > splitter.MaxSplits:
		return nil, bad("%d splits", len(p.Options.Splits))
	case p.Options.RowsPerFile <= 0 || p.Options.RowGroupRows <= 0:
		return nil, bad("rows per file %d and row group rows %d must be positive", p.Options.RowsPerFile, p.Options.RowGroupRows)
	case len(p.Shards) == 0 || len(p.Shards) > MaxShards:
		return nil, bad("%d shards, want 1 to %d", len(p.Shards), MaxShards)
	case len(p.Inputs) == 0:
		return nil, bad("no inputs")
	case p.Options.Shuffle || p.Options.Group != "" || p.Options.GroupByContent || p.Options.Stratify != "" || p.Options.Compat != "" || p.Options.Format != sinks.FormatParquet,
		p.Options.OrderBy != "" || p.Options.TimeSeries != nil || p.Options.Repeats != 0:
		return nil, bad("options a sharded run does not support")
	}
	if err := splitter.ValidateSplits(p.Options.Splits); err != nil {
		return nil, bad("%v", err)
	}
	if err := checkRowGroupLimit(p.Options.RowsPerFile, p.Options.RowGroupRows); err != nil {
		return nil, bad("%v", err)
	}
	if err := prng.Seed(p.Seed).Validate(); err != nil || strings.TrimSpace(p.Seed) != p.Seed {
		return nil, bad("seed %q is not a decimal integer", p.Seed)
	}
	if !p.Options.Approx {
		if err := splitter.CheckBoundaries(p.Boundaries, len(p.Options.Splits)); err != nil {
			return nil, bad("%v", err)
		}
	} else if p.Boundaries != nil {
		return nil, bad("boundaries given for an approximate split")
	}
	// Every number below is checked against the plan's own totals before
	// anything is sized from it, and sums are checked before they could
	// overflow: a damaged plan must not make a shard or the merge allocate
	// or loop without bound.
	inputRows := make([]int64, len(p.Inputs))
	var next, assigned int64
	for i, u := range p.Units {
		switch {
		case u.Input < 0 || u.Input >= len(p.Inputs):
			return nil, bad("unit %d: input %d of %d", i, u.Input, len(p.Inputs))
		case i > 0 && (u.Input < p.Units[i-1].Input || u.Input == p.Units[i-1].Input && u.RowGroup <= p.Units[i-1].RowGroup):
			return nil, bad("unit %d: input %d row group %d does not follow input %d row group %d", i, u.Input, u.RowGroup, p.Units[i-1].Input, p.Units[i-1].RowGroup)
		case u.RowGroup < 0:
			return nil, bad("unit %d: row group %d", i, u.RowGroup)
		case u.Start != next || u.Rows <= 0 || u.Rows > math.MaxInt64-next:
			return nil, bad("unit %d: rows [%d, +%d), want to start at %d with rows", i, u.Start, u.Rows, next)
		case len(u.Counts) != len(p.Options.Splits):
			return nil, bad("unit %d: %d counts for %d splits", i, len(u.Counts), len(p.Options.Splits))
		}
		var sum int64
		for _, c := range u.Counts {
			if c < 0 {
				return nil, bad("unit %d: negative count", i)
			}
			if c > u.Rows-sum {
				return nil, bad("unit %d: counts add up to more than its %d rows", i, u.Rows)
			}
			sum += c
		}
		assigned += sum
		next += u.Rows
		inputRows[u.Input] += u.Rows
	}
	if next != p.Rows || p.Rows-assigned != p.Unassigned {
		return nil, bad("units hold %d rows (%d assigned), the plan says %d (%d unassigned)", next, assigned, p.Rows, p.Unassigned)
	}
	for i, in := range p.Inputs {
		switch {
		case in.Path == "":
			return nil, bad("input %d has no path", i)
		case in.Location == "" && in.Version != "":
			return nil, bad("input %d (%s): a version without a location", i, in.Path)
		case in.Location != "" && !in.ModTime.IsZero():
			return nil, bad("input %d (%s): an object (with a location) has no modification time", i, in.Path)
		case in.Size < 0:
			return nil, bad("input %d (%s): size %d", i, in.Path, in.Size)
		case in.Rows != inputRows[i]:
			return nil, bad("input %d (%s) has %d rows, its units %d", i, in.Path, in.Rows, inputRows[i])
		case in.ModTime.Location() != time.UTC:
			return nil, bad("input %d (%s): modification time %s is not in UTC", i, in.Path, in.ModTime.Format(time.RFC3339Nano))
		case !isSHA256Hex(in.EndsSHA256):
			return nil, bad("input %d (%s): ends_sha256 %q is not a SHA-256 in lower-case hex", i, in.Path, in.EndsSHA256)
		}
	}
	// The shards and the merge lay out every split's row groups: bound
	// their number so a damaged plan cannot exhaust memory.
	var groups int64
	for s := range p.Options.Splits {
		groups += p.layout(s).numGroups()
		if groups > maxPlanRowGroups {
			return nil, bad("more than %d output row groups (%d rows, files of %d rows in row groups of %d rows)",
				maxPlanRowGroups, p.Rows, p.Options.RowsPerFile, p.Options.RowGroupRows)
		}
	}
	if !sort.IntsAreSorted(p.Shards) || p.Shards[0] != 0 || p.Shards[len(p.Shards)-1] > len(p.Units) {
		return nil, bad("shard starts %v", p.Shards)
	}
	return &p, nil
}

// shardName is the directory of shard k's output.
func shardName(k int) string { return fmt.Sprintf("shard-%05d", k) }

// shardGroupName is the file of a shard's row group seq.
func shardGroupName(seq int) string { return fmt.Sprintf("rg-%06d.parquet", seq) }

// readFileMax reads the file at path, refusing one larger than limit bytes
// before reading it.
func readFileMax(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a plan or shard record may have", path, st.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: more than the %d bytes a plan or shard record may have", path, limit)
	}
	return data, nil
}

// isSHA256Hex reports whether s is a SHA-256 sum in lower-case hex.
func isSHA256Hex(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}
