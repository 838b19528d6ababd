// Independent figures for report/duckdb_test.go: DuckDB reads the Parquet
// files of each split and prints, as JSON on stdout, what the report must
// match. Run with its working directory where @duckdb/node-api is
// installed (sinks/testdata/duckdb), the job as JSON on stdin:
//
//   {"splits": [{"name": N, "files": [PATH...]}],
//    "columns": [{"name": C, "kind": "number"|"time"|"string"|"boolean"}],
//    "quantiles": {C: {N: [VALUE...]}}}
//
// Output: {"splits": {N: {"rows", "duplicates", "columns": {C: {"count",
// "nulls", "avg", "distinct", "le": [...], "lt": [...]}}}},
// "shared": {"A|B": distinct rows in both}}. le and lt count the values
// <= and < each of the report's quantiles, so the test can check their
// ranks; times are seconds since the epoch, as in the report.
import { DuckDBInstance } from '@duckdb/node-api';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const job = JSON.parse(input);

const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const conn = await instance.connect();
const lit = (s) => `'${s.replaceAll("'", "''")}'`;
const ident = (s) => `"${s.replaceAll('"', '""')}"`;
const one = async (sql) => (await conn.runAndReadAll(sql)).getRows()[0];
const num = (v) => (v === null ? null : Number(v));

const out = { splits: {}, shared: {} };
for (const s of job.splits) {
  const view = ident('v_' + s.name);
  await conn.run(`CREATE VIEW ${view} AS SELECT * FROM read_parquet([${s.files.map(lit).join(', ')}])`);
  const [rows] = await one(`SELECT count(*) FROM ${view}`);
  const [distinct] = await one(`SELECT count(*) FROM (SELECT DISTINCT * FROM ${view})`);
  const res = { rows: num(rows), duplicates: num(rows) - num(distinct), columns: {} };
  for (const c of job.columns) {
    const col = c.kind === 'time' ? `epoch_us(${ident(c.name)}) / 1e6` : ident(c.name);
    const [count, nulls, avg, nd] = await one(
      `SELECT count(${ident(c.name)}), count(*) - count(${ident(c.name)}), ` +
      (c.kind === 'number' || c.kind === 'time' ? `avg(${col})` : 'NULL') +
      `, count(DISTINCT ${ident(c.name)}) FROM ${view}`);
    const r = { count: num(count), nulls: num(nulls), avg: avg === null ? null : Number(avg), distinct: num(nd), le: [], lt: [] };
    for (const q of (job.quantiles[c.name] || {})[s.name] || []) {
      const [le, lt] = await one(`SELECT count(*) FILTER (WHERE ${col} <= ${q}), count(*) FILTER (WHERE ${col} < ${q}) FROM ${view}`);
      r.le.push(num(le));
      r.lt.push(num(lt));
    }
    res.columns[c.name] = r;
  }
  out.splits[s.name] = res;
}
for (let i = 0; i < job.splits.length; i++) {
  for (let j = i + 1; j < job.splits.length; j++) {
    const a = ident('v_' + job.splits[i].name), b = ident('v_' + job.splits[j].name);
    const [n] = await one(`SELECT count(*) FROM (SELECT * FROM ${a} INTERSECT SELECT * FROM ${b})`);
    out.shared[job.splits[i].name + '|' + job.splits[j].name] = num(n);
  }
}
process.stdout.write(JSON.stringify(out) + '\n');
