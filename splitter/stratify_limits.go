package splitter

// MaxStratifyClasses is the most distinct values (classes) a --stratify
// column may hold, null counted as one, without --group (with --group the
// bound is [MaxStratifiedGroupClasses]). A class column (labels, sources,
// languages) holds far fewer; a column with more is an id column, which
// --group keeps together instead. The class table is read with this bound,
// so its memory depends on the bound and the worker count, never on the
// input.
const MaxStratifyClasses = 65_536

// MaxStratifyClassBytes is the most bytes the distinct values of a
// --stratify column may take together, counted as their canonical bytes
// (docs/algorithm.md section 12: one byte of null flag, then the text):
// 16 MiB, 256 bytes a class on average at [MaxStratifyClasses].
const MaxStratifyClassBytes = 16 << 20
