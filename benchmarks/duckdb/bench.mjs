// DuckDB side of the splitdata end-to-end benchmark (see ../README.md).
//
// Usage: node bench.mjs MODE [ARGS...]
//
//   version                     print the DuckDB library version
//   copy IN_DIR OUT_DIR         plain rewrite of IN_DIR/*.parquet into OUT_DIR/all.parquet
//   split-hash-partition IN OUT 80/20 split on hash(id) % 100 < 80, one scan writing
//                               OUT/split=train/ and OUT/split=test/ (COPY ... PARTITION_BY)
//   split-hash-2copy IN OUT     the same split as two COPY statements (two scans)
//   split-random-partition IN OUT
//                               80/20 split on random() < 0.8, one scan (PARTITION_BY); random()
//                               is not reproducible, so this variant exists only as a speed bound
//   shuffle-random IN OUT       all rows ORDER BY random() into OUT/all.parquet (setseed(SEED)
//                               first when SEED is set)
//   shuffle-hash IN OUT         all rows ORDER BY hash(id, HASH_SEED), id into OUT/all.parquet: a
//                               reproducible shuffle (HASH_SEED default 42; the id breaks ties)
//   first-ids IN OUT            print the first 10 ids of OUT/*.parquet
//   order-hash IN OUT           print the row count and a hash of the id order of OUT/*.parquet:
//                               sum(hash(id, file name, row number in file)), equal for two
//                               outputs only if they hold the same ids in the same places
//   check-copy IN OUT           verify a copy output: row count, schema, every id exactly once
//   check-split IN OUT          verify a split output (either partitioned layout or train/test dirs)
//   check-splitdata IN OUT      verify a splitdata split or shuffle output against its manifest.json
//
// Environment: DUCKDB_THREADS (default 2), DUCKDB_PRESERVE_ORDER (default "true": keep input row
// order, as splitdata does; "false" lets DuckDB write rows in any order), ROW_GROUP_SIZE
// (default 131072, splitdata's default).
//
// Paths go into SQL as string literals; they are quoted, so any path works.

import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const threads = process.env.DUCKDB_THREADS ?? '2';
const preserveOrder = (process.env.DUCKDB_PRESERVE_ORDER ?? 'true') !== 'false';
const rowGroupSize = Number(process.env.ROW_GROUP_SIZE ?? '131072');

/** lit quotes s as an SQL string literal. */
function lit(s) {
  return `'${String(s).replaceAll("'", "''")}'`;
}

/** glob returns the read_parquet pattern for every Parquet file under dir. */
function glob(dir) {
  return lit(join(dir, '*.parquet'));
}

/**
 * scan returns a table expression reading the files matched by pattern, without the hive
 * partition columns DuckDB would otherwise add for paths like OUT/split=train/.
 */
function scan(pattern) {
  return `read_parquet(${pattern}, hive_partitioning = false)`;
}

const parquetOpts = `FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${rowGroupSize}`;
const splitExprHash = `CASE WHEN hash(id) % 100 < 80 THEN 'train' ELSE 'test' END`;
const splitExprRandom = `CASE WHEN random() < 0.8 THEN 'train' ELSE 'test' END`;

async function open() {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(threads),
    preserve_insertion_order: String(preserveOrder),
  });
  return instance.connect();
}

async function rows(conn, sql) {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJson();
}

async function scalar(conn, sql) {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRows()[0][0];
}

function fail(msg) {
  console.error(`bench.mjs: ${msg}`);
  process.exit(1);
}

/** schemaOf returns "name type, ..." for the Parquet files matched by pattern. */
async function schemaOf(conn, pattern) {
  const cols = await rows(conn, `DESCRIBE SELECT * FROM ${scan(pattern)}`);
  return cols.map((c) => `${c.column_name} ${c.column_type}`).join(', ');
}

/**
 * checkCover verifies that the outputs matched by patterns hold, together, every row of the
 * input exactly once (by id, which the gen dataset numbers 0..n-1) with the input's schema.
 * It returns the row count of each pattern.
 */
async function checkCover(conn, inDir, patterns) {
  const n = BigInt(await scalar(conn, `SELECT count(*) FROM ${scan(glob(inDir))}`));
  const want = await schemaOf(conn, glob(inDir));
  const counts = [];
  for (const p of patterns) {
    const got = await schemaOf(conn, p);
    if (got !== want) fail(`schema of ${p}:\n  got  ${got}\n  want ${want}`);
    counts.push(BigInt(await scalar(conn, `SELECT count(*) FROM ${scan(p)}`)));
  }
  const union = patterns.map((p) => `SELECT id FROM ${scan(p)}`).join(' UNION ALL ');
  const [st] = await rows(
    conn,
    `SELECT count(*) AS n, count(DISTINCT id) AS d, min(id) AS lo, max(id) AS hi FROM (${union})`,
  );
  const total = counts.reduce((a, b) => a + b, 0n);
  if (total !== n || BigInt(st.n) !== n || BigInt(st.d) !== n) {
    fail(`outputs hold ${total} rows (${st.d} distinct ids), input has ${n}`);
  }
  if (BigInt(st.lo) !== 0n || BigInt(st.hi) !== n - 1n) {
    fail(`output ids span ${st.lo}..${st.hi}, want 0..${n - 1n}`);
  }
  return { n, counts };
}

/** splitPatterns finds the train and test outputs of a DuckDB split run. */
function splitPatterns(out) {
  return ['train', 'test'].map((s) => lit(join(out, `split=${s}`, '*.parquet')));
}

const [mode, inDir, outDir] = process.argv.slice(2);
const conn = await open();
switch (mode) {
  case 'version':
    console.log(await scalar(conn, 'SELECT version()'));
    console.error(
      `threads=${await scalar(conn, "SELECT current_setting('threads')")}`,
      `preserve_insertion_order=${await scalar(conn, "SELECT current_setting('preserve_insertion_order')")}`,
    );
    break;
  case 'copy':
    mkdirSync(outDir, { recursive: true });
    await conn.run(`COPY (SELECT * FROM ${scan(glob(inDir))})
      TO ${lit(join(outDir, 'all.parquet'))} (${parquetOpts})`);
    break;
  case 'split-hash-partition':
  case 'split-random-partition': {
    const expr = mode === 'split-hash-partition' ? splitExprHash : splitExprRandom;
    await conn.run(`COPY (SELECT *, ${expr} AS split FROM ${scan(glob(inDir))})
      TO ${lit(outDir)} (${parquetOpts}, PARTITION_BY (split))`);
    break;
  }
  case 'split-hash-2copy':
    for (const [name, cond] of [
      ['train', 'hash(id) % 100 < 80'],
      ['test', 'hash(id) % 100 >= 80'],
    ]) {
      mkdirSync(join(outDir, `split=${name}`), { recursive: true });
      await conn.run(`COPY (SELECT * FROM ${scan(glob(inDir))} WHERE ${cond})
        TO ${lit(join(outDir, `split=${name}`, 'data_0.parquet'))} (${parquetOpts})`);
    }
    break;
  case 'shuffle-random': {
    // ORDER BY random(), seeded with setseed(SEED) when SEED is set, so
    // that runs with different thread counts can be compared.
    if (process.env.SEED) await conn.run(`SELECT setseed(${Number(process.env.SEED)})`);
    mkdirSync(outDir, { recursive: true });
    await conn.run(`COPY (SELECT * FROM ${scan(glob(inDir))} ORDER BY random())
      TO ${lit(join(outDir, 'all.parquet'))} (${parquetOpts})`);
    break;
  }
  case 'shuffle-hash': {
    const seed = BigInt(process.env.HASH_SEED ?? '42');
    mkdirSync(outDir, { recursive: true });
    await conn.run(`COPY (SELECT * FROM ${scan(glob(inDir))} ORDER BY hash(id, ${seed}), id)
      TO ${lit(join(outDir, 'all.parquet'))} (${parquetOpts})`);
    break;
  }
  case 'order-hash': {
    const [st] = await rows(
      conn,
      `SELECT count(*) AS n, sum(hash(id, parse_filename(filename), file_row_number))::VARCHAR AS h
       FROM read_parquet(${glob(outDir)}, hive_partitioning = false, filename = true, file_row_number = true)`,
    );
    console.log(`${st.n} ${st.h}`);
    break;
  }
  case 'first-ids': {
    // the first 10 ids of a shuffle output, to compare orders
    console.log(JSON.stringify(await rows(conn, `SELECT id FROM ${scan(glob(outDir))} LIMIT 10`)));
    break;
  }
  case 'check-copy': {
    const { n } = await checkCover(conn, inDir, [glob(outDir)]);
    console.log(`ok ${outDir}: ${n} rows`);
    break;
  }
  case 'check-split': {
    const { n, counts } = await checkCover(conn, inDir, splitPatterns(outDir));
    const share = Number(counts[0]) / Number(n);
    if (Math.abs(share - 0.8) > 0.01) fail(`train share ${share}, want about 0.8`);
    console.log(`ok ${outDir}: ${n} rows, train ${counts[0]}, test ${counts[1]}`);
    break;
  }
  case 'check-splitdata': {
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'));
    const splits = manifest.splits.filter((s) => s.rows > 0);
    // A shuffle writes its one split's files directly into the output directory.
    const flat = manifest.command === 'shuffle';
    const patterns = splits.map((s) => lit(join(outDir, flat ? '' : s.name, '*.parquet')));
    const { n, counts } = await checkCover(conn, inDir, patterns);
    splits.forEach((s, j) => {
      if (BigInt(s.rows) !== counts[j]) {
        fail(`${s.name}: DuckDB reads ${counts[j]} rows, manifest.json says ${s.rows}`);
      }
    });
    if (BigInt(manifest.rows) !== n) fail(`manifest.json rows ${manifest.rows}, input has ${n}`);
    console.log(`ok ${outDir}: ${n} rows, ${splits.map((s) => `${s.name} ${s.rows}`).join(', ')}`);
    break;
  }
  default:
    fail(`unknown mode ${JSON.stringify(mode)}; see the comment at the top of bench.mjs`);
}
conn.closeSync();
