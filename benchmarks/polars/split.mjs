// Polars side of the peer benchmark (../peers.sh): an 80/20 split as
// issue 22 measured it, two lazy scans of the input, each filtered on a
// hash of the key column and streamed to a snappy Parquet file with
// sinkParquet.
//
// Usage: node split.mjs IN_GLOB KEY OUT_DIR
//   writes OUT_DIR/train.parquet (hash(KEY) % 100 < 80) and
//   OUT_DIR/test.parquet (the rest); row groups of 131072 rows,
//   splitdata's default.
//        node split.mjs --version
import pl from 'nodejs-polars';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [inGlob, key, out] = process.argv.slice(2);
if (inGlob === '--version') {
  const { createRequire } = await import('node:module');
  console.log(createRequire(import.meta.url)('nodejs-polars/package.json').version);
  process.exit(0);
}
if (!out) {
  console.error('usage: node split.mjs IN_GLOB KEY OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const opts = { compression: 'snappy', rowGroupSize: 131072 };
const bucket = pl.col(key).hash(42).cast(pl.UInt64).modulo(100);
for (const [name, cond] of [['train', bucket.lt(80)], ['test', bucket.gtEq(80)]]) {
  await pl.scanParquet(inGlob).filter(cond).sinkParquet(join(out, `${name}.parquet`), opts).collect();
}
