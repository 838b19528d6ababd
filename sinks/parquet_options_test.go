package sinks_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/sinks"
)

// TestParquetOptionsValidate lists accepted and refused options; refusals
// wrap ErrInvalidOptions and name the field.
func TestParquetOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts sinks.ParquetOptions
		want string // "" when valid
	}{
		{"zero value", sinks.ParquetOptions{}, ""},
		{"snappy", sinks.ParquetOptions{Compression: "snappy"}, ""},
		{"none", sinks.ParquetOptions{Compression: "none"}, ""},
		{"lz4", sinks.ParquetOptions{Compression: "lz4"}, ""},
		{"zstd 1", sinks.ParquetOptions{Compression: "zstd", CompressionLevel: 1}, ""},
		{"zstd 22", sinks.ParquetOptions{Compression: "zstd", CompressionLevel: 22}, ""},
		{"gzip 1", sinks.ParquetOptions{Compression: "gzip", CompressionLevel: 1}, ""},
		{"gzip 9", sinks.ParquetOptions{Compression: "gzip", CompressionLevel: 9}, ""},
		{"page of one byte", sinks.ParquetOptions{PageBufferSize: 1}, ""},
		{"largest page", sinks.ParquetOptions{PageBufferSize: sinks.MaxPageBufferSize}, ""},
		{"everything", sinks.ParquetOptions{Compression: "zstd", CompressionLevel: 7, PageBufferSize: 1 << 20, Dictionary: true, CreatedBy: "splitdata version 1.2.0 (é)"}, ""},

		{"unknown codec", sinks.ParquetOptions{Compression: "brotli"}, `unknown compression "brotli"`},
		{"codec in capitals", sinks.ParquetOptions{Compression: "ZSTD"}, `unknown compression "ZSTD"`},
		{"negative level", sinks.ParquetOptions{Compression: "zstd", CompressionLevel: -1}, "compression_level -1 is negative"},
		{"negative level, default codec", sinks.ParquetOptions{CompressionLevel: -3}, "compression_level -3 is negative"},
		{"snappy fast", sinks.ParquetOptions{CompressionLevel: sinks.SnappyFast}, ""},
		{"snappy better", sinks.ParquetOptions{Compression: "snappy", CompressionLevel: sinks.SnappyBetter}, ""},
		{"snappy 3", sinks.ParquetOptions{CompressionLevel: 3}, `snappy compression_level 3 is neither 1 (fast, the default) nor 2 (better)`},
		{"level for none", sinks.ParquetOptions{Compression: "none", CompressionLevel: 2}, `compression "none" takes no compression_level`},
		{"level for lz4", sinks.ParquetOptions{Compression: "lz4", CompressionLevel: 9}, `compression "lz4" takes no compression_level`},
		{"gzip 10", sinks.ParquetOptions{Compression: "gzip", CompressionLevel: 10}, "gzip compression_level 10 is outside [1, 9]"},
		{"zstd 23", sinks.ParquetOptions{Compression: "zstd", CompressionLevel: 23}, "zstd compression_level 23 is outside [1, 22]"},
		{"negative page size", sinks.ParquetOptions{PageBufferSize: -1}, "page_buffer_size -1"},
		{"page too large", sinks.ParquetOptions{PageBufferSize: sinks.MaxPageBufferSize + 1}, "page_buffer_size 1073741825"},
		{"created_by not UTF-8", sinks.ParquetOptions{CreatedBy: "splitdata \xff"}, "created_by"},
		{"auto", sinks.ParquetOptions{Encoding: sinks.EncodingAuto}, ""},
		{"plain", sinks.ParquetOptions{Encoding: sinks.EncodingPlain, Dictionary: true}, ""},
		{"unknown encoding", sinks.ParquetOptions{Encoding: "delta"}, `unknown encoding "delta" (want "auto" or "plain")`},
		{"encoding in capitals", sinks.ParquetOptions{Encoding: "PLAIN"}, `unknown encoding "PLAIN"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("%+v.Validate() = %v, want nil", tt.opts, err)
			case tt.want != "" && err == nil:
				t.Errorf("%+v.Validate() = nil, want an error containing %q", tt.opts, tt.want)
			case tt.want != "" && (!errors.Is(err, sinks.ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("%+v.Validate() = %v, want an ErrInvalidOptions containing %q", tt.opts, err, tt.want)
			}
		})
	}
}

// TestParquetOptionsJSON pins the JSON field names, which the run manifest
// records, and checks that options survive a round trip.
func TestParquetOptionsJSON(t *testing.T) {
	opts := sinks.ParquetOptions{Compression: "gzip", CompressionLevel: 4, PageBufferSize: 4096, Encoding: sinks.EncodingPlain, Dictionary: true, CreatedBy: "x"}
	data, err := json.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"compression", "compression_level", "page_buffer_size", "encoding", "dictionary", "created_by"} {
		if _, ok := fields[key]; !ok {
			t.Errorf("JSON %s has no %q", data, key)
		}
	}
	var back sinks.ParquetOptions
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back != opts {
		t.Errorf("round trip of %+v gave %+v", opts, back)
	}
}

// ColumnBytes is a page, or with a dictionary two pages and the
// dictionary's bound.
func TestColumnBytes(t *testing.T) {
	for _, tc := range []struct {
		opts sinks.ParquetOptions
		want int64
	}{
		{sinks.ParquetOptions{Encoding: sinks.EncodingPlain}, sinks.DefaultPageBufferSize},
		{sinks.ParquetOptions{Encoding: sinks.EncodingPlain, PageBufferSize: 4096}, 4096},
		{sinks.ParquetOptions{Encoding: sinks.EncodingPlain, Dictionary: true, PageBufferSize: 4096}, 8192 + sinks.DictionaryMaxBytes},
		{sinks.ParquetOptions{}, 2*sinks.DefaultPageBufferSize + sinks.DictionaryMaxBytes},
		{sinks.ParquetOptions{Encoding: sinks.EncodingAuto, Dictionary: false, PageBufferSize: 100}, 200 + sinks.DictionaryMaxBytes},
	} {
		if got := tc.opts.ColumnBytes(); got != tc.want {
			t.Errorf("%+v: ColumnBytes() = %d, want %d", tc.opts, got, tc.want)
		}
	}
}
