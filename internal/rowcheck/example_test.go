package rowcheck_test

import (
	"errors"
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/rowcheck"
)

// An optional struct must be null in all its columns or in none.
func ExampleLayout_Check() {
	schema := parquet.NewSchema("t", parquet.Group{
		"id": parquet.Int(64),
		"point": parquet.Optional(parquet.Group{
			"x": parquet.Leaf(parquet.DoubleType),
			"y": parquet.Leaf(parquet.DoubleType),
		}),
	})
	layout := rowcheck.New(schema)

	// Columns: 0 id, 1 point.x, 2 point.y.
	present := parquet.Row{
		parquet.Int64Value(1).Level(0, 0, 0),
		parquet.DoubleValue(0.5).Level(0, 1, 1),
		parquet.DoubleValue(2).Level(0, 1, 2),
	}
	null := parquet.Row{
		parquet.Int64Value(2).Level(0, 0, 0),
		parquet.NullValue().Level(0, 0, 1),
		parquet.NullValue().Level(0, 0, 2),
	}
	half := parquet.Row{
		parquet.Int64Value(3).Level(0, 0, 0),
		parquet.DoubleValue(0.5).Level(0, 1, 1),
		parquet.NullValue().Level(0, 0, 2),
	}
	fmt.Println(layout.Check(present))
	fmt.Println(layout.Check(null))
	err := layout.Check(half)
	fmt.Println(errors.Is(err, rowcheck.ErrInvalidRow))
	fmt.Println(err)
	// Output:
	// <nil>
	// <nil>
	// true
	// row does not match schema: columns 1 (point.x) and 2 (point.y) disagree on the instances of point
}
