package sources

// A fast reader of the JSON Lines records most files hold: one object of
// scalar values whose strings hold no escape. splitObject cuts such a
// line into its pairs in place, with no allocation, and declines anything
// else (escapes, nesting, any syntax it does not know to be valid), which
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

// splitObject appends the pairs of line to pairs when line is one JSON
// object of scalar values, with spaces around its tokens at most, whose
// keys and strings hold no backslash and no control character; ok is
// false for any other line.
func splitObject(line []byte, pairs []jsonPair) (_ []jsonPair, ok bool) {
	i := skipSpace(line, 0)
	if i == len(line) || line[i] != '{' {
		return pairs, false
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return pairs, skipSpace(line, i+1) == len(line)
	}
	for {
		var p jsonPair
		if p.key, i, ok = plainString(line, i); !ok {
			return pairs, false
		}
		i = skipSpace(line, i)
		if i == len(line) || line[i] != ':' {
			return pairs, false
		}
		i = skipSpace(line, i+1)
		if i == len(line) {
			return pairs, false
		}
		switch c := line[i]; {
		case c == '"':
			p.kind = jsonString
			p.text, i, ok = plainString(line, i)
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
			return pairs, false
		}
		if !ok {
			return pairs, false
		}
		pairs = append(pairs, p)
		i = skipSpace(line, i)
		if i == len(line) {
			return pairs, false
		}
		switch line[i] {
		case ',':
			i = skipSpace(line, i+1)
		case '}':
			return pairs, skipSpace(line, i+1) == len(line)
		default:
			return pairs, false
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

// plainString returns the content of the string starting with the quote
// at i and the index after its closing quote; ok is false when there is
// no string there, or it holds a backslash or a control character.
func plainString(line []byte, i int) (_ []byte, end int, ok bool) {
	if i == len(line) || line[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(line); j++ {
		switch c := line[j]; {
		case c == '"':
			return line[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20:
			return nil, j, false
		}
	}
	return nil, len(line), false
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
