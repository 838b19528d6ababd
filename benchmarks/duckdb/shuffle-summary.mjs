// Summary of the shuffle section of benchmarks/run.sh (issue 6, point 6): reads hyperfine's JSON
// export, the peak-RSS table and the order table the script wrote, prints a Markdown report with
// the ratios of splitdata's shuffle to DuckDB's and whether each tool's order changes with its
// thread count, and writes it to SHUFFLE_RESULTS_DIR/summary.md as well.
//
// Usage: node shuffle-summary.mjs SHUFFLE_RESULTS_DIR ROWS SHUFFLE_MEMORY
//
// Inputs in SHUFFLE_RESULTS_DIR: shuffle-ROWS.json (hyperfine --export-json), rss.tsv (lines
// "name<TAB>rows<TAB>max_rss_kib<TAB>wall_seconds"), order.tsv (lines
// "name<TAB>threads<TAB>run<TAB>rows<TAB>order_hash", from bench.mjs order-hash), env.txt (copied
// as is). Ratios are given on mean and min wall time, on CPU time (user + system) and on peak RSS;
// below 1 means splitdata is faster or smaller.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, rows, memory] = process.argv.slice(2);
const bench = JSON.parse(readFileSync(join(dir, `shuffle-${rows}.json`), 'utf8'));
const table = (file) =>
  readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split('\t'));
const rss = new Map(table('rss.tsv').map(([name, , kib]) => [name, Number(kib) / 1024]));
const order = table('order.tsv').map(([name, threads, run, n, hash]) => ({ name, threads, run, n, hash }));
const env = readFileSync(join(dir, 'env.txt'), 'utf8').trim();

const byName = new Map(bench.results.map((r) => [r.command, r]));
function result(name) {
  const r = byName.get(name);
  if (!r) throw new Error(`no hyperfine result named ${name}`);
  return r;
}
const cpu = (name) => result(name).user + result(name).system;
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');

const out = [];
out.push(`# Shuffle benchmark summary (${rows} rows)`, '', '```', env, '```', '');
out.push('| command | mean [s] | ± σ [s] | min [s] | max [s] | CPU user+sys [s] | peak RSS [MiB] |');
out.push('|:---|---:|---:|---:|---:|---:|---:|');
for (const r of bench.results) {
  out.push(
    `| \`${r.command}\` | ${f2(r.mean)} | ${f2(r.stddev)} | ${f2(r.min)} | ${f2(r.max)} | ${f2(cpu(r.command))} | ${f0(rss.get(r.command))} |`,
  );
}
out.push('');
out.push('| ratio | mean wall | min wall | CPU | peak RSS | target |', '|:---|---:|---:|---:|---:|:---|');
for (const a of [`splitdata-shuffle-${memory}`, 'splitdata-shuffle-default']) {
  for (const b of ['duckdb-shuffle-random', 'duckdb-shuffle-hash']) {
    const ra = result(a);
    const rb = result(b);
    out.push(
      `| \`${a}\` / \`${b}\` | ${f2(ra.mean / rb.mean)} | ${f2(ra.min / rb.min)} | ${f2(cpu(a) / cpu(b))} | ${f2(rss.get(a) / rss.get(b))} | < 1 |`,
    );
  }
}
out.push('');
out.push('| output | threads / workers | run | rows | order hash |', '|:---|---:|---:|---:|:---|');
for (const o of order) out.push(`| \`${o.name}\` | ${o.threads} | ${o.run} | ${o.n} | \`${o.hash}\` |`);
out.push('');
const groups = new Map();
for (const o of order) {
  const key = o.name.startsWith('splitdata-') ? 'splitdata shuffle (any --memory, --workers)' : o.name;
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(o);
}
for (const [key, os] of groups) {
  const distinct = new Set(os.map((o) => o.hash)).size;
  const verdict = distinct === 1 ? 'the same order in every run' : `${distinct} different orders in ${os.length} runs`;
  out.push(`- \`${key}\`: ${verdict}`);
}
const text = out.join('\n') + '\n';
writeFileSync(join(dir, 'summary.md'), text);
process.stdout.write(text);
