// Summary of one benchmarks/run.sh run: reads hyperfine's JSON export and the peak-RSS table
// the script wrote, prints a Markdown report with the ratios issue 4 asks for and writes it to
// RESULTS/summary.md as well.
//
// Usage: node summary.mjs RESULTS_DIR ROWS ROWS_BIG
//
// Inputs in RESULTS_DIR: e2e-ROWS.json (hyperfine --export-json), rss.tsv (lines
// "name<TAB>rows<TAB>max_rss_kib<TAB>wall_seconds"), env.txt (free text, copied as is).
// A ratio of the splitdata split to DuckDB uses the fastest reproducible DuckDB split by mean
// wall time (the hash variants); the random() variant is listed for information only. Ratios are
// given on mean and min wall time and on CPU time (user + system), which a machine shared with
// other work disturbs less than wall time.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [resultsDir, rows, rowsBig] = process.argv.slice(2);
const bench = JSON.parse(readFileSync(join(resultsDir, `e2e-${rows}.json`), 'utf8'));
const rss = readFileSync(join(resultsDir, 'rss.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => {
    const [name, n, kib, wall] = l.split('\t');
    return { name, rows: n, mib: Number(kib) / 1024, wall: Number(wall) };
  });
const env = readFileSync(join(resultsDir, 'env.txt'), 'utf8').trim();

const byName = new Map(bench.results.map((r) => [r.command, r]));
function result(name) {
  const r = byName.get(name);
  if (!r) throw new Error(`no hyperfine result named ${name}`);
  return r;
}
const mean = (name) => result(name).mean;
const cpu = (name) => result(name).user + result(name).system;
function peak(name, n) {
  const r = rss.find((x) => x.name === name && x.rows === String(n));
  return r ? r.mib : NaN;
}
function fastest(prefix) {
  const cands = bench.results.filter((r) => r.command.startsWith(prefix));
  if (cands.length === 0) throw new Error(`no hyperfine result starting with ${prefix}`);
  return cands.reduce((a, b) => (b.mean < a.mean ? b : a)).command;
}
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');

const duckSplit = fastest('duckdb-split-hash');
const duckCopy = fastest('duckdb-copy');
const out = [];
out.push(`# End-to-end benchmark summary (${rows} rows)`, '', '```', env, '```', '');
out.push('| command | mean [s] | ± σ [s] | min [s] | max [s] | CPU user+sys [s] | peak RSS [MiB] |');
out.push('|:---|---:|---:|---:|---:|---:|---:|');
for (const r of bench.results) {
  out.push(
    `| \`${r.command}\` | ${f2(r.mean)} | ${f2(r.stddev)} | ${f2(r.min)} | ${f2(r.max)} | ${f2(cpu(r.command))} | ${f0(peak(r.command, rows))} |`,
  );
}
out.push('');
const ratio = (a, b) => mean(a) / mean(b);
const ratioMin = (a, b) => result(a).min / result(b).min;
const ratioCPU = (a, b) => cpu(a) / cpu(b);
const ratios = (a, b) => `${f2(ratio(a, b))} | ${f2(ratioMin(a, b))} | ${f2(ratioCPU(a, b))}`;
const split = 'splitdata-split';
const big = peak(split, rowsBig);
const small = peak(split, rows);
const growth = big / small;
out.push(
  '| ratio | mean wall | min wall | CPU | target (wall) |',
  '|:---|---:|---:|---:|:---|',
);
out.push(`| splitdata split / DuckDB split (fastest hash variant by mean: \`${duckSplit}\`) | ${ratios(split, duckSplit)} | ≤ 1.00 |`);
out.push(`| splitdata split / splitdata rewrite | ${ratios(split, 'splitdata-rewrite')} | ≤ 1.30 |`);
out.push(`| splitdata split --approx / DuckDB split | ${ratios('splitdata-split-approx', duckSplit)} | |`);
if (byName.has('splitdata-split-nolimit')) {
  out.push(`| splitdata split with GOMEMLIMIT=off / DuckDB split | ${ratios('splitdata-split-nolimit', duckSplit)} | |`);
}
out.push(`| splitdata rewrite / DuckDB copy (fastest by mean: \`${duckCopy}\`) | ${ratios('splitdata-rewrite', duckCopy)} | |`);
out.push('');
out.push('| peak memory | value | target |', '|:---|---:|:---|');
out.push(`| peak RSS splitdata split / DuckDB split | ${f2(small / peak(duckSplit, rows))} | |`);
out.push(`| peak RSS splitdata split / splitdata rewrite | ${f2(small / peak('splitdata-rewrite', rows))} | |`);
const haveBig = rowsBig !== '0' && Number.isFinite(big);
if (haveBig) {
  out.push(`| peak RSS splitdata split, ${rowsBig} / ${rows} rows | ${f2(growth)} (${f0(big)} / ${f0(small)} MiB) | within 10%, < 300 MB |`);
}
out.push('');
const verdict = (ok) => (ok ? 'met' : 'NOT met');
out.push('Targets (issue 4):');
const detail = (a, b) =>
  `(mean wall ${f2(ratio(a, b))}; min wall ${f2(ratioMin(a, b))}, CPU ${f2(ratioCPU(a, b))})`;
out.push(`- split wall time ≤ DuckDB split: ${verdict(ratio(split, duckSplit) <= 1)} ${detail(split, duckSplit)}`);
out.push(
  `- split wall time ≤ 1.3 × splitdata rewrite: ${verdict(ratio(split, 'splitdata-rewrite') <= 1.3)} ` +
    detail(split, 'splitdata-rewrite'),
);
if (haveBig) {
  out.push(`- peak RSS ${rowsBig} vs ${rows} rows within 10%: ${verdict(Math.abs(growth - 1) <= 0.1)}`);
  const most = Math.max(big, small);
  out.push(
    `- peak RSS < 300 MB (both sizes): ${verdict(most * 1024 * 1024 < 300e6)}` +
      ` (largest ${f0(most)} MiB = ${f0((most * 1024 * 1024) / 1e6)} MB)`,
  );
} else {
  out.push('- peak RSS growth: not measured (ROWS_BIG=0)');
  out.push(
    `- peak RSS < 300 MB (${rows} rows): ${verdict(small * 1024 * 1024 < 300e6)}` +
      ` (${f0(small)} MiB = ${f0((small * 1024 * 1024) / 1e6)} MB)`,
  );
}
const text = out.join('\n') + '\n';
writeFileSync(join(resultsDir, 'summary.md'), text);
process.stdout.write(text);
