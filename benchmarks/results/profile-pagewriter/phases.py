"""phases.py PERF.DATA...: the CPU-seconds of a split's phases in perf
recordings (perf record -F 999 -g), as a Markdown table, one column per file.
Inclusive samples of the functions that open each phase; "other encode" is
the rest of EncodeBatches. profile-encode2's script, with the functions of
splitdata's page writer (pageWriter.flush, AppendFixed, finishOwn) counted
in the phases they share with parquet-go's writer."""
import subprocess, re, sys
def phases(f):
    out = subprocess.run(['perf','report','-i',f,'--children','--sort','symbol','--stdio','-g','none'],capture_output=True,text=True).stdout
    syms = []
    for l in out.split('\n'):
        m = re.match(r'^\s+([0-9.]+)%\s+([0-9.]+)%\s+\[[.k]\]\s+(.*?)\s*$', l)
        if m: syms.append((float(m.group(1)), m.group(3)))
    tot = subprocess.run(['perf','report','-i',f,'--stdio','-n','--sort','comm','-g','none'],capture_output=True,text=True).stdout
    total = sum(int(m.group(1)) for m in re.finditer(r'^\s+[0-9.]+%\s+[0-9.]+%\s+(\d+)', tot, re.M))
    def g(p):
        for pct, s in syms:
            if p in s: return pct*total/100
        return 0.0
    enc = g('sinks.(*RowGroupEncoder).EncodeBatches')
    comp = g('sinks.(*snappyCodec).Encode')
    stats = g('makePageStatistics') + g('recordPageStats') + g('sinks.(*pageWriter).bounds')
    conv = g('columnar.(*Pick).AppendValues') + g('columnar.(*Batch).AppendValues') + g('sinks.cloneValues') + g('columnar.(*Batch).AppendFixed') + g('columnar.(*Pick).AppendFixed') + g('sinks.(*pageWriter).writeValues')
    flush = g('parquet-go.(*ColumnWriter).Flush') + g('sinks.(*pageWriter).flush')
    bufs = g('parquet-go.(*ColumnWriter).WriteRowValues') - g('parquet-go.(*ColumnWriter).Flush')
    dic = g('sinks.paysDictionary')
    nw = g('sinks.(*RowGroupEncoder).newWriter') + g('sinks.(*RowGroupEncoder).finish') + g('sinks.(*RowGroupStream).finishOwn')
    page = flush - comp - stats
    other = enc - comp - stats - conv - bufs - dic - nw - page
    return [('total (all threads)', total), ('encode (EncodeBatches)', enc), ('  snappy of pages', comp), ('  page statistics (header + column index)', stats),
      ('  making parquet.Values (AppendValues, sample clone)', conv), ('  parquet-go column buffers, dictionary inserts', bufs),
      ('  dictionary choice (paysDictionary)', dic), ('  writer, row-group buffer, close and parse', nw), ('  page assembly (levels, encoding, header, crc)', page), ('  other encode (sampling loop, calls)', other),
      ('decode (ReadBatchRangeInto)', g('sources.(*Parquet).ReadBatchRangeInto')), ('gather (Batch.Take)', g('columnar.(*Batch).Take')),
      ('write (ParquetFileWriter.Append: sha256, write(2))', g('sinks.(*ParquetFileWriter).Append')), ('GC workers', g('runtime.gcBgMarkWorker'))]
files = sys.argv[1:]
res = [phases(f) for f in files]
print('| phase | ' + ' | '.join(files) + ' |')
for i in range(len(res[0])):
    print('| %s | %s |' % (res[0][i][0], ' | '.join('%.2f' % (r[i][1]/999) for r in res)))
