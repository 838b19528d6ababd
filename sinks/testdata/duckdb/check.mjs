// Independent readback of Parquet files written by splitdata's sinks
// package: DuckDB reads each file and this script prints, as JSON on
// stdout, its row count, a checksum per column and optional filtered
// counts. sinks/duckdb_test.go computes the same numbers from the rows it
// wrote and compares.
//
// Usage: node check.mjs [--count-where SQL]... FILE...
//
// Output:
//
//   {"duckdb": VERSION, "files": [{"path": FILE, "rows": N,
//     "columns": [{"name": NAME, "type": DUCKDB_TYPE, "checksum": HEX}],
//     "counts": [N for each --count-where, in order]}]}
//
// The checksum of a column is FNV-1a 64 over one token per row, in file
// order, each followed by "\n". Tokens:
//
//   null                      N
//   boolean                   T or F
//   JS number (INTEGER, DOUBLE, FLOAT...)
//                             f + the 16 hex digits of its float64 bits
//   bigint (BIGINT, ...)      i + decimal
//   string                    s + UTF-8 byte length + ":" + the string
//   DECIMAL                   i + the unscaled value in decimal
//   TIMESTAMP[_TZ]            t + microseconds since the epoch
//   TIMESTAMP_MS, _NS, _S     t + the value in its unit
//   DATE                      d + days since the epoch
//   UUID                      u + 32 hex digits (the 16 bytes, big-endian)
//   BLOB                      b + hex of the bytes
//   LIST                      [ + tokens joined by "," + ]
//   STRUCT                    { + field tokens in field order joined by "," + }
//   MAP                       < + key "=" value tokens joined by "," + >
//
// Filtered counts read the file through DuckDB's Parquet scan with the SQL
// predicate pushed down, so they exercise the min/max statistics and page
// index that let DuckDB skip data: wrong statistics give wrong counts.

import {
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBUUIDValue,
} from '@duckdb/node-api';

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = (1n << 64n) - 1n;
const encoder = new TextEncoder();

/** fnv returns the FNV-1a 64 hash h extended with the UTF-8 bytes of s. */
function fnv(h, s) {
  for (const b of encoder.encode(s)) {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MASK;
  }
  return h;
}

/** hex returns b as lower-case hex digits. */
function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** token renders one value as described in the header. */
function token(v) {
  if (v === null || v === undefined) return 'N';
  switch (typeof v) {
    case 'boolean':
      return v ? 'T' : 'F';
    case 'number': {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, v);
      return 'f' + view.getBigUint64(0).toString(16).padStart(16, '0');
    }
    case 'bigint':
      return 'i' + v.toString();
    case 'string':
      return 's' + encoder.encode(v).length + ':' + v;
  }
  if (v instanceof DuckDBListValue) return '[' + v.items.map(token).join(',') + ']';
  if (v instanceof DuckDBStructValue) return '{' + Object.values(v.entries).map(token).join(',') + '}';
  if (v instanceof DuckDBMapValue) return '<' + v.entries.map((e) => token(e.key) + '=' + token(e.value)).join(',') + '>';
  if (v instanceof DuckDBDecimalValue) return 'i' + v.value.toString();
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue) return 't' + v.micros.toString();
  if (v instanceof DuckDBTimestampMillisecondsValue) return 't' + v.millis.toString();
  if (v instanceof DuckDBTimestampNanosecondsValue) return 't' + v.nanos.toString();
  if (v instanceof DuckDBTimestampSecondsValue) return 't' + v.seconds.toString();
  if (v instanceof DuckDBDateValue) return 'd' + v.days;
  if (v instanceof DuckDBUUIDValue) return 'u' + v.toUint128().toString(16).padStart(32, '0');
  if (v instanceof DuckDBBlobValue) return 'b' + hex(v.bytes);
  throw new Error(`no token for ${v?.constructor?.name ?? typeof v}: ${String(v)}`);
}

/** lit quotes s as an SQL string literal. */
function lit(s) {
  return `'${String(s).replaceAll("'", "''")}'`;
}

function usage() {
  console.error('usage: node check.mjs [--count-where SQL]... FILE...');
  process.exit(2);
}

const wheres = [];
const files = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--count-where') {
    if (i + 1 === args.length) usage();
    wheres.push(args[++i]);
  } else {
    files.push(args[i]);
  }
}
if (files.length === 0) usage();

const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const conn = await instance.connect();
const version = (await conn.runAndReadAll('SELECT version()')).getRows()[0][0];

const out = [];
for (const path of files) {
  const scan = `read_parquet(${lit(path)}, file_row_number = true)`;
  const result = await conn.runAndReadAll(`SELECT * EXCLUDE (file_row_number) FROM ${scan} ORDER BY file_row_number`);
  const names = result.columnNames();
  const types = result.columnTypes().map((t) => t.toString());
  const sums = names.map(() => FNV_OFFSET);
  const rows = result.getRows();
  for (const row of rows) {
    for (let c = 0; c < row.length; c++) {
      sums[c] = fnv(sums[c], token(row[c]) + '\n');
    }
  }
  const counts = [];
  for (const where of wheres) {
    const r = await conn.runAndReadAll(`SELECT count(*) FROM read_parquet(${lit(path)}) WHERE ${where}`);
    counts.push(Number(r.getRows()[0][0]));
  }
  out.push({
    path,
    rows: rows.length,
    columns: names.map((name, c) => ({ name, type: types[c], checksum: sums[c].toString(16).padStart(16, '0') })),
    counts,
  });
}
console.log(JSON.stringify({ duckdb: version, files: out }));
