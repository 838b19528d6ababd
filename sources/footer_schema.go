package sources

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// The schema tree of a footer, checked as its elements are walked, and the
// short names and paths that errors about it quote.

// schemaWalk checks the flat list of schema elements as they are walked,
// the way the decoder will build its tree from them, with a stack bounded by
// MaxSchemaDepth instead of recursion: element 0 is the root, each group's
// num_children elements follow it depth first.
type schemaWalk struct {
	elements int
	leaves   int
	memory   int64
	depth    int // open groups, the root included: the depth of the next element
	open     [MaxSchemaDepth + 1]struct {
		name []byte
		left int64 // children not yet seen
		text int64 // bytes of the dotted path of this group
	}
	done bool // the root's last descendant was seen
}

// add takes the next schema element.
func (s *schemaWalk) add(name []byte, numChildren int64, isLeaf bool) error {
	i := s.elements
	s.elements++
	switch {
	case s.done:
		return s.fail(ErrCorrupt, nil, "schema element %d lies outside the root's columns", i)
	case numChildren < 0:
		return s.fail(ErrCorrupt, name, "%d children", numChildren)
	case numChildren > 0 && isLeaf:
		return s.fail(ErrCorrupt, name, "leaf column declares %d children", numChildren)
	case s.depth > MaxSchemaDepth:
		return s.fail(ErrUnsupported, name, "schema nested more than %d levels deep (MaxSchemaDepth)", MaxSchemaDepth)
	}
	// The decoder gives each element a path of its ancestors' names and
	// its own; we keep the leaves' dotted paths twice (path and shared
	// prefix).
	text := int64(len(name)) + 1
	if s.depth > 0 {
		s.open[s.depth-1].left--
		text += s.open[s.depth-1].text
	}
	s.memory += int64(s.depth+1)*costPathSegment + 2*text
	switch {
	case i == 0 && numChildren == 0:
		s.done = true // a root without columns, refused later
	case numChildren == 0:
		if isLeaf {
			s.leaves++
			if s.leaves > parquet.MaxColumnIndex+1 {
				return s.fail(ErrUnsupported, nil, "more than %d leaf columns", parquet.MaxColumnIndex+1)
			}
		}
	default:
		s.open[s.depth].name = name
		s.open[s.depth].left = numChildren
		s.open[s.depth].text = text
		if i == 0 {
			s.open[s.depth].text = 0 // the root's name is not part of paths
		}
		s.depth++
	}
	for s.depth > 0 && s.open[s.depth-1].left == 0 {
		s.depth--
		if s.depth == 0 {
			s.done = true
		}
	}
	return nil
}

// fail builds a schema error naming the column at the top of the stack,
// then name.
func (s *schemaWalk) fail(kind error, name []byte, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if path := s.path(name); path != "" {
		msg = fmt.Sprintf("column %s: %s", path, msg)
	}
	return &limitError{kind: kind, rowGroup: -1, msg: msg}
}

// path is the dotted path of the open groups below the root, then name,
// shortened for an error message.
func (s *schemaWalk) path(name []byte) string {
	var parts [][]byte
	for i := 1; i < s.depth; i++ {
		parts = append(parts, s.open[i].name)
	}
	if name != nil && s.elements > 1 {
		parts = append(parts, name)
	}
	if len(parts) == 0 {
		return ""
	}
	return shortPath(parts)
}

// finish checks that the schema is complete.
func (s *schemaWalk) finish() error {
	switch {
	case s.elements == 0:
		return &limitError{kind: ErrCorrupt, rowGroup: -1, msg: "footer has no schema"}
	case s.depth > 0:
		top := s.open[s.depth-1]
		return s.fail(ErrCorrupt, nil, "schema ends with %d children of %s missing", top.left, quoteName(top.name))
	}
	return nil
}

// Bounds on names and paths quoted in error messages, which must stay one
// short line whatever the file holds.
const (
	maxNameInError = 40 // bytes of one name
	maxPathParts   = 4  // names of a long path shown: the first two and last two
	maxErrorText   = 240
)

// cutName cuts a name to maxNameInError bytes for an error message.
func cutName(s string) string {
	if len(s) <= maxNameInError {
		return s
	}
	cut := maxNameInError
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// quoteName quotes a column name for an error message, cut to
// maxNameInError bytes.
func quoteName(b []byte) string { return strconv.Quote(cutName(string(b))) }

// shortPath formats a column path for an error message, quoted: each name
// cut to maxNameInError bytes and, of a long path, only the first and last
// two names around a count of those left out.
func shortPath(parts [][]byte) string {
	names := make([]string, 0, min(len(parts), maxPathParts+1))
	for i, p := range parts {
		if len(parts) > maxPathParts && i >= maxPathParts/2 && i < len(parts)-maxPathParts/2 {
			if i == maxPathParts/2 {
				names = append(names, fmt.Sprintf("…(%d more)…", len(parts)-maxPathParts))
			}
			continue
		}
		names = append(names, cutName(string(p)))
	}
	return strconv.Quote(strings.Join(names, "."))
}

// shortColumn shortens a dotted column path from the decoder's schema for
// [InputError.Column], unquoted, as shortPath does.
func shortColumn(path string) string {
	if len(path) <= maxErrorText/2 {
		return path
	}
	parts := bytes.Split([]byte(path), []byte("."))
	s, _ := strconv.Unquote(shortPath(parts))
	return s
}

// clippedError is an error from the decoder whose text is cut to
// maxErrorText bytes: the decoder quotes column paths and values in its
// errors, which a hostile file can make megabytes long.
type clippedError struct {
	msg string
	err error
}

func (e *clippedError) Error() string { return e.msg }
func (e *clippedError) Unwrap() error { return e.err }

// clip cuts the text of err to maxErrorText bytes.
func clip(err error) error {
	msg := err.Error()
	if len(msg) <= maxErrorText {
		return err
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return &clippedError{msg: msg[:cut] + "…", err: err}
}
