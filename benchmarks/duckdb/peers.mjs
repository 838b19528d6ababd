// DuckDB side of the peer benchmark (../peers.sh).
//
// Usage: node peers.mjs MODE ARGS...
//   rewrite IN OUT ROWGROUP   write each Parquet file of IN again to OUT, same name, with
//                             row groups of ROWGROUP rows (the "DuckDB-written" inputs)
//   split IN_GLOB KEY OUT     80/20 split on hash(KEY) % 100 < 80, one scan writing
//                             OUT/split=train/ and OUT/split=test/ (COPY ... PARTITION_BY)
//   shuffle IN_GLOB OUT       all rows ORDER BY random() into OUT/all.parquet
//   rows GLOB                 print the row count of the files GLOB matches
//   columns GLOB              print the column names, one per line
// Snappy output, row groups of 131072 rows (splitdata's default); threads DUCKDB_THREADS
// (default 2); input order kept (preserve_insertion_order), as splitdata keeps it.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;
const ident = (s) => `"${String(s).replaceAll('"', '""')}"`;
const opts = 'FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 131072';
const instance = await DuckDBInstance.create(':memory:', { threads: process.env.DUCKDB_THREADS ?? '2' });
const conn = await instance.connect();
const run = (sql) => conn.run(sql);
const scalar = async (sql) => (await conn.runAndReadAll(sql)).getRows()[0][0];

const [mode, ...args] = process.argv.slice(2);
switch (mode) {
  case 'rewrite': {
    const [inDir, outDir, rg] = args;
    mkdirSync(outDir, { recursive: true });
    for (const f of readdirSync(inDir).filter((f) => f.endsWith('.parquet')).sort()) {
      await run(`COPY (SELECT * FROM read_parquet(${lit(join(inDir, f))})) TO ${lit(join(outDir, f))} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${Number(rg)})`);
    }
    break;
  }
  case 'split': {
    const [glob, key, out] = args;
    await run(`COPY (SELECT *, CASE WHEN hash(${ident(key)}) % 100 < 80 THEN 'train' ELSE 'test' END AS split FROM read_parquet(${lit(glob)})) TO ${lit(out)} (${opts}, PARTITION_BY (split))`);
    break;
  }
  case 'shuffle': {
    const [glob, out] = args;
    mkdirSync(out, { recursive: true });
    await run(`COPY (SELECT * FROM read_parquet(${lit(glob)}) ORDER BY random()) TO ${lit(join(out, 'all.parquet'))} (${opts})`);
    break;
  }
  case 'rows':
    console.log(String(await scalar(`SELECT count(*) FROM read_parquet(${lit(args[0])}, hive_partitioning = false)`)));
    break;
  case 'columns': {
    const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${lit(args[0])})`);
    for (const row of r.getRowObjectsJson()) console.log(row.column_name);
    break;
  }
  default:
    console.error(`peers.mjs: unknown mode ${mode}`);
    process.exit(2);
}
