package sources

import (
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// A fast reader of the JSON Lines records most files hold: one object of
// scalar values. splitObject cuts such a line into its pairs in place,
// with no allocation (strings with escapes are decoded, as encoding/json
// decodes them, into a buffer kept from line to line), and declines
// anything else (nesting, any syntax it does not know to be valid), which
// parseLine, over encoding/json, then reads: what splitObject accepts is
// valid JSON that encoding/json reads to the same keys and values, in the
// same order (FuzzJSONLSplit compares them), so the two differ only in
// speed. Both read paths take records through eachPair.

// jsonKind is the kind of a scalar JSON value.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonTrue
	jsonFalse
	jsonNumber
	jsonString
)

// jsonPair is a key of a record and its value: the text of a number, the
// content of a string (decoded), nothing for the literals.
type jsonPair struct {
	key, text []byte
	kind      jsonKind
}

// jsonLine is the pairs splitObject cut a line into, and the decoded
// text of its strings that held escapes.
type jsonLine struct {
	pairs []jsonPair
	buf   []byte
}

// splitObject sets st to the pairs of line and reports true when line is
// one JSON object of scalar values, with JSON whitespace around its
// tokens at most; for any other line it reports false.
func splitObject(line []byte, st *jsonLine) (ok bool) {
	st.pairs, st.buf = st.pairs[:0], st.buf[:0]
	i := skipSpace(line, 0)
	if i == len(line) || line[i] != '{' {
		return false
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return skipSpace(line, i+1) == len(line)
	}
	for {
		var p jsonPair
		if p.key, i, ok = st.text(line, i); !ok {
			return false
		}
		i = skipSpace(line, i)
		if i == len(line) || line[i] != ':' {
			return false
		}
		i = skipSpace(line, i+1)
		if i == len(line) {
			return false
		}
		switch c := line[i]; {
		case c == '"':
			p.kind = jsonString
			p.text, i, ok = st.text(line, i)
		case c == 't':
			p.kind, i, ok = jsonTrue, i+4, hasAt(line, i, "true")
		case c == 'f':
			p.kind, i, ok = jsonFalse, i+5, hasAt(line, i, "false")
		case c == 'n':
			p.kind, i, ok = jsonNull, i+4, hasAt(line, i, "null")
		case c == '-' || '0' <= c && c <= '9':
			start := i
			p.kind = jsonNumber
			i, ok = number(line, i)
			p.text = line[start:i]
		default:
			return false
		}
		if !ok {
			return false
		}
		st.pairs = append(st.pairs, p)
		i = skipSpace(line, i)
		if i == len(line) {
			return false
		}
		switch line[i] {
		case ',':
			i = skipSpace(line, i+1)
		case '}':
			return skipSpace(line, i+1) == len(line)
		default:
			return false
		}
	}
}

// skipSpace returns the index of the first byte of line at or after i
// that is not JSON whitespace.
func skipSpace(line []byte, i int) int {
	for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n') {
		i++
	}
	return i
}

// hasAt reports whether line holds word at i.
func hasAt(line []byte, i int, word string) bool {
	return len(line)-i >= len(word) && string(line[i:i+len(word)]) == word
}

// text returns the content of the string starting with the quote at i,
// its escapes decoded as encoding/json decodes them (into st.buf), and
// the index after its closing quote; ok is false when there is no valid
// string there.
func (st *jsonLine) text(line []byte, i int) (_ []byte, end int, ok bool) {
	if i == len(line) || line[i] != '"' {
		return nil, i, false
	}
	j := i + 1
	for ; j < len(line) && line[j] != '\\'; j++ {
		switch c := line[j]; {
		case c == '"':
			return line[i+1 : j], j + 1, true
		case c < 0x20:
			return nil, j, false
		}
	}
	start := len(st.buf)
	st.buf = append(st.buf, line[i+1:j]...)
	for j < len(line) {
		c := line[j]
		switch {
		case c == '"':
			return st.buf[start:len(st.buf):len(st.buf)], j + 1, true
		case c < 0x20:
			return nil, j, false
		case c != '\\':
			st.buf = append(st.buf, c)
			j++
			continue
		case j+1 == len(line):
			return nil, j, false
		}
		switch e := line[j+1]; e {
		case '"', '\\', '/':
			st.buf = append(st.buf, e)
		case 'b':
			st.buf = append(st.buf, '\b')
		case 'f':
			st.buf = append(st.buf, '\f')
		case 'n':
			st.buf = append(st.buf, '\n')
		case 'r':
			st.buf = append(st.buf, '\r')
		case 't':
			st.buf = append(st.buf, '\t')
		case 'u':
			r, ok := hex4(line, j+2)
			if !ok {
				return nil, j, false
			}
			j += 4
			if utf16.IsSurrogate(r) {
				// A pair, else U+FFFD for this half alone.
				first := r
				r = unicode.ReplacementChar
				if j+3 < len(line) && line[j+2] == '\\' && line[j+3] == 'u' {
					if r2, ok := hex4(line, j+4); ok {
						if d := utf16.DecodeRune(first, r2); d != unicode.ReplacementChar {
							r = d
							j += 6
						}
					}
				}
			}
			st.buf = utf8.AppendRune(st.buf, r)
		default:
			return nil, j, false
		}
		j += 2
	}
	return nil, j, false
}

// hex4 returns the rune of the four hex digits at i.
func hex4(line []byte, i int) (rune, bool) {
	if len(line)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range line[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number returns the index after the JSON number starting at i: an
// optional minus, 0 or digits not starting with 0, an optional fraction
// and an optional exponent, each with at least one digit; ok is false
// when the text there is not one.
func number(line []byte, i int) (end int, ok bool) {
	if i < len(line) && line[i] == '-' {
		i++
	}
	switch {
	case i < len(line) && line[i] == '0':
		i++
	case i < len(line) && '1' <= line[i] && line[i] <= '9':
		i = digits(line, i)
	default:
		return i, false
	}
	if i < len(line) && line[i] == '.' {
		j := digits(line, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(line) && (line[i] == 'e' || line[i] == 'E') {
		i++
		if i < len(line) && (line[i] == '+' || line[i] == '-') {
			i++
		}
		j := digits(line, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

// digits returns the index after the run of digits at i.
func digits(line []byte, i int) int {
	for i < len(line) && '0' <= line[i] && line[i] <= '9' {
		i++
	}
	return i
}
