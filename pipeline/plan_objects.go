package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
)

// Inputs of a sharded run that are not local files: objects in a bucket.
// A plan cannot name them by path, so it records where another machine
// opens them (a location, such as a URL) and which version it saw; the
// shards and the merge open them again through an [ObjectOpener] the
// caller gives, and refuse an object that is not the version planned.
// The pipeline itself links no object-store client: the opener is the
// caller's (the command line's opens s3://, gs:// and az:// URLs).

// objectRef is what a sharded plan records of an [ObjectInput], and the
// reader it hashes.
type objectRef struct {
	location, version string
	r                 io.ReaderAt
	size              int64
}

// ObjectInput is [ReaderAtInput] for an object a sharded plan may record:
// besides its name (in errors and manifests), location is where an
// [ObjectOpener] opens it again on another machine (a URL holding no
// credentials: it goes in plan.json), and version identifies the object's
// contents (an ETag, a GCS generation), so that a shard refuses an object
// replaced since the plan. Jobs other than [CreatePlan] read it as a
// ReaderAtInput.
func ObjectInput(name, location, version string, r io.ReaderAt, size int64) Input {
	in := ReaderAtInput(name, r, size)
	in.object = &objectRef{location: location, version: version, r: r, size: size}
	return in
}

// ObjectOpener opens the object a plan records at location
// ([PlanInput.Location]) for ranged reads: its data, its size and its
// version now. If r implements [Unchanged], the shard checks it again
// after its rows are written; if it implements io.Closer, it is closed
// when the shard or the merge is done with it. A missing object is best
// reported as an error wrapping [fs.ErrNotExist] or [sources.ErrChanged].
type ObjectOpener func(ctx context.Context, location string) (r io.ReaderAt, size int64, version string, err error)

// errNoOpener is the error of a plan naming objects run without an opener.
var errNoOpener = errors.New("the plan reads objects (inputs with a location), and no ObjectOpener was given to open them")

// planObject records the input opened as in (of the plan's rows and
// size info) by its object reference.
func planObject(info InputInfo, ref *objectRef) (PlanInput, error) {
	if info.Size != ref.size {
		return PlanInput{}, &sources.InputError{Path: info.Path, RowGroup: -1, Err: fmt.Errorf("%w: %d bytes, %d when opened", sources.ErrChanged, ref.size, info.Size)}
	}
	sum, err := endsSHA256(ref.r, ref.size)
	if err != nil {
		return PlanInput{}, fmt.Errorf("read %s: %w", info.Path, err)
	}
	return PlanInput{InputInfo: info, Location: ref.location, Version: ref.version, EndsSHA256: sum}, nil
}

// openedObject is an object input a shard or the merge opened.
type openedObject struct {
	src   sources.FileSource
	check func() error // nil if the reader cannot tell
	close func()
}

// openObject opens the plan's input i, an object, through open, and
// checks that it is the object the plan saw: its size, rows, version and
// the hash of its ends.
func (p *Plan) openObject(ctx context.Context, i int, open ObjectOpener) (openedObject, error) {
	want := p.Inputs[i]
	if open == nil {
		return openedObject{}, fmt.Errorf("%w: input %s: %w", ErrUsage, want.Path, errNoOpener)
	}
	r, size, version, err := open(ctx, want.Location)
	if err != nil {
		return openedObject{}, err
	}
	o := openedObject{close: func() {}}
	if c, ok := r.(io.Closer); ok {
		o.close = func() { _ = c.Close() }
	}
	if u, ok := r.(Unchanged); ok {
		o.check = u.CheckUnchanged
	}
	// The identity is compared before the data is parsed: a replaced
	// object is named as changed, not as whatever its new bytes hold.
	sum, err := endsSHA256(r, size)
	if err != nil {
		o.close()
		return openedObject{}, fmt.Errorf("read %s: %w", want.Path, err)
	}
	got := PlanInput{InputInfo: InputInfo{Path: want.Path, Size: size, Rows: want.Rows}, Location: want.Location, Version: version, EndsSHA256: sum}
	if err := want.diff(want.Path, got); err != nil {
		o.close()
		return openedObject{}, err
	}
	src, err := sources.OpenReaderAt(want.Path, r, size, p.Options.inputOptions())
	if err != nil {
		o.close()
		return openedObject{}, err
	}
	o.src = src
	got.Rows = src.NumRows()
	if err := want.diff(want.Path, got); err != nil {
		_ = src.Close()
		o.close()
		return openedObject{}, err
	}
	return o, nil
}

// firstSchema is the schema and key/value metadata of the plan's first
// input, which go into every footer, once it is checked to be the input
// the plan saw.
func (p *Plan) firstSchema(ctx context.Context, open ObjectOpener) (*parquet.Schema, []sinks.KeyValue, error) {
	if p.Inputs[0].Location != "" {
		o, err := p.openObject(ctx, 0, open)
		if err != nil {
			return nil, nil, err
		}
		defer o.close()
		defer o.src.Close()
		return o.src.Schema(), keyValues(o.src), nil
	}
	first := p.inputPath(0)
	in, err := sources.Open(first, p.Options.inputOptions())
	if err != nil {
		return nil, nil, err
	}
	defer in.Close()
	if err := p.Inputs[0].check(first, in); err != nil {
		return nil, nil, err
	}
	return in.Schema(), keyValues(in), nil
}
