package pipeline

import "context"

// CheckTimeOrder runs the time-order check of verify --input on the output
// in dir described by m, returning the problems it finds.
func CheckTimeOrder(ctx context.Context, dir string, m *Manifest) ([]string, error) {
	var problems []string
	err := checkTimeOrder(ctx, outputFiles{dir: dir}, m, func(format string, args ...any) {
		problems = append(problems, format)
	})
	return problems, err
}
