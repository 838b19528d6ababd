package sinks

import (
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// drainRows reads r until io.EOF, the loop every encoder's Encode runs:
// each ReadRows call fills dst() (which may differ from call to call), and
// take gets the rows read with the number read before them. An error from
// take is returned as it is; a read error or a reader that keeps returning
// nothing (like io.ReadFull, 100 empty reads in a row) is wrapped with
// what and the rows read. It returns the number of rows read.
func drainRows(what string, r parquet.RowReader, dst func() []parquet.Row, take func(rows []parquet.Row, n int64) error) (int64, error) {
	if r == nil {
		return 0, fmt.Errorf("%s: row reader is nil", what)
	}
	var n int64
	for stalls := 0; ; {
		m, rerr := r.ReadRows(dst())
		if m > 0 {
			if err := take(dst()[:m], n); err != nil {
				return n, err
			}
		}
		n += int64(m)
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, fmt.Errorf("%s: read rows after row %d: %w", what, n, rerr)
		}
		if m > 0 {
			stalls = 0
		} else if stalls++; stalls == 100 {
			return n, fmt.Errorf("%s: read rows after row %d: %w", what, n, io.ErrNoProgress)
		}
	}
}

// eachRow adapts fn, called with every row and its index, to drainRows's
// take; fn's error is wrapped with what and the row's index.
func eachRow(what string, fn func(row parquet.Row) error) func(rows []parquet.Row, n int64) error {
	return func(rows []parquet.Row, n int64) error {
		for i, row := range rows {
			if err := fn(row); err != nil {
				return fmt.Errorf("%s: row %d: %w", what, n+int64(i), err)
			}
		}
		return nil
	}
}

// rowBuffer returns a dst for drainRows: one buffer of rowBatch rows.
func rowBuffer() func() []parquet.Row {
	buf := make([]parquet.Row, rowBatch)
	return func() []parquet.Row { return buf }
}
