package main

import "github.com/splitdata/splitdata/splitter"

// parseSplitList turns the mutually exclusive --ratios, --test-size and
// --sizes flags into a split list; nil when none is given.
func parseSplitList(ratios, testSize, sizes string) ([]splitter.Split, error) {
	set := 0
	for _, s := range []string{ratios, testSize, sizes} {
		if s != "" {
			set++
		}
	}
	switch {
	case set > 1:
		return nil, usagef("give only one of --ratios, --test-size and --sizes")
	case ratios != "":
		return splitter.ParseRatios(ratios)
	case testSize != "":
		return splitter.ParseTestSize(testSize)
	case sizes != "":
		return splitter.ParseSizes(sizes)
	}
	return nil, nil
}
