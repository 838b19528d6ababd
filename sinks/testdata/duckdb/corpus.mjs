// DuckDB's verdict on splitdata's outputs of the parquet-testing corpus:
// for each input file and the output files splitdata wrote from it, DuckDB
// reads both and this script prints, as JSON on stdout, the row counts, the
// column types and how many rows of each side are missing from the other,
// as multisets (EXCEPT ALL both ways, every column compared by DuckDB's
// own equality, under which NaN equals NaN). pipeline/corpus_duckdb_test.go
// writes the job file, runs this script once for all files and judges.
//
// Usage: node corpus.mjs JOB.json
//
// JOB.json: [{"name": NAME, "input": FILE, "outputs": [FILE...]}...]
//
// Output:
//
//   {"duckdb": VERSION, "files": [{"name": NAME,
//     "input":  {"rows": N, "types": ["col TYPE"...]} or {"error": TEXT},
//     "output": {"rows": N, "types": [...]} or {"error": TEXT},
//     "missing": N, "extra": N, "partial": [COLUMN...], "compareError": TEXT}]}
//
// Reading a side decodes every value (a hash of each row), so an
// undecodable page is an error even when the footer gives the row count.
// missing counts the input's rows that no output row matches, extra the
// output's rows that no input row matches; both are there when DuckDB reads
// both sides. When their column types differ, DuckDB casts both sides to
// common types (under TimeZone UTC); when it cannot, the rows are compared
// on the columns whose types are equal, named in partial, and compareError
// says why the whole rows could not be. compareError alone means no
// comparison could be made. An error is the first line of DuckDB's
// message. A failure of the script itself (bad job file, DuckDB not
// loadable) exits non-zero.

import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

/** lit quotes s as an SQL string literal. */
function lit(s) {
  return `'${String(s).replaceAll("'", "''")}'`;
}

/** scan is DuckDB's table function reading the Parquet files paths. */
function scan(paths) {
  return `read_parquet([${paths.map(lit).join(', ')}])`;
}

/** firstLine returns the first line of an error's message. */
function firstLine(err) {
  return String(err?.message ?? err).split('\n')[0];
}

if (process.argv.length !== 3) {
  console.error('usage: node corpus.mjs JOB.json');
  process.exit(2);
}
const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const conn = await instance.connect();
const version = (await conn.runAndReadAll('SELECT version()')).getRows()[0][0];
// Casts between TIMESTAMP and TIMESTAMP WITH TIME ZONE must not depend on
// the machine's time zone.
await conn.run("SET TimeZone = 'UTC'");

/** ident quotes s as an SQL identifier. */
function ident(s) {
  return `"${String(s).replaceAll('"', '""')}"`;
}

/**
 * read returns the row count, column names and column types DuckDB reads
 * from paths, having decoded every value.
 */
async function read(paths) {
  try {
    const from = scan(paths);
    const columns = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRows();
    const r = await conn.runAndReadAll(`SELECT count(*), max(hash(*COLUMNS(*))) FROM ${from}`);
    return {
      rows: Number(r.getRows()[0][0]),
      names: columns.map((c) => c[0]),
      types: columns.map((c) => `${c[0]} ${c[1]}`),
    };
  } catch (err) {
    return { error: firstLine(err) };
  }
}

/**
 * except counts the rows of a that are not matched in b, as multisets, on
 * the columns cols (a select list).
 */
async function except(a, b, cols) {
  const sql = `SELECT count(*) FROM (SELECT ${cols} FROM ${scan(a)} EXCEPT ALL SELECT ${cols} FROM ${scan(b)})`;
  return Number((await conn.runAndReadAll(sql)).getRows()[0][0]);
}

/**
 * compare sets entry's missing and extra rows between input and outputs:
 * on whole rows, or else on the columns of equal types.
 */
async function compare(entry, input, outputs) {
  try {
    entry.missing = await except([input], outputs, '*');
    entry.extra = await except(outputs, [input], '*');
    return;
  } catch (err) {
    entry.compareError = firstLine(err);
  }
  const { names, types } = entry.input;
  const same = names.filter((_, i) => types[i] === entry.output.types[i]);
  if (types.length !== entry.output.types.length || same.length === 0 || same.length === names.length) {
    return;
  }
  const cols = same.map(ident).join(', ');
  try {
    entry.missing = await except([input], outputs, cols);
    entry.extra = await except(outputs, [input], cols);
    entry.partial = same;
  } catch (err) {
    delete entry.missing;
    entry.compareError += '; on the columns of equal types: ' + firstLine(err);
  }
}

const files = [];
for (const { name, input, outputs } of job) {
  const entry = { name, input: await read([input]) };
  entry.output = outputs.length === 0 ? { error: 'no output files' } : await read(outputs);
  if (!entry.input.error && !entry.output.error) {
    await compare(entry, input, outputs);
  }
  delete entry.input.names;
  delete entry.output.names;
  files.push(entry);
}
console.log(JSON.stringify({ duckdb: version, files }));
