"""phases.py PERF.DATA...: CPU-seconds of the decode side of a split in perf recordings
(perf record -F 999 -g), as a Markdown table, one column per file: samples whose stack
holds the phase's function, over 999 Hz, all threads."""
import subprocess, sys, collections
def load(f):
    out = subprocess.run(['perf','script','-i',f,'-F','ip,sym'],capture_output=True,text=True).stdout
    stacks=[]; cur=[]
    for l in out.split('\n'):
        l=l.strip()
        if not l:
            if cur: stacks.append(cur); cur=[]
            continue
        p=l.split(None,1); cur.append(p[1] if len(p)>1 else '?')
    if cur: stacks.append(cur)
    return stacks
def cnt(stacks, pred): return sum(1 for s in stacks if pred(s))/999
rows=[('total',lambda s: True),
 ('decode (readBatch)',lambda s: any('sources.(*Parquet).readBatch' in x for x in s)),
 ('  page read+decompress+decode (parquet-go ReadPage)',lambda s: any('parquet-go.(*FilePages).ReadPage' in x for x in s) and any('readBatch' in x for x in s)),
 ('  dictionary expansion (copyPage indexed)',lambda s: any(('AppendIndexed' in x or 'gather).appendIndexed' in x) for x in s)),
 ('  copy of plain values (appendPage)',lambda s: any('chunkReader).appendPage' in x for x in s) and not any('chunkReader).dictionary' in x for x in s)),
 ('  dictionaries decoded (ours + parquet-go)',lambda s: any(('chunkReader).dictionary' in x or 'decodeDictionary' in x) for x in s)),
 ('  kernel page faults under decode',lambda s: any('readBatch' in x for x in s) and ('irq' in s[0] or 'fault' in s[0] or 'pte' in s[0])),
 ('encode (EncodeBatches)',lambda s: any('EncodeBatches' in x for x in s)),
 ('GC (gcBgMarkWorker)',lambda s: any('gcBgMarkWorker' in x for x in s)),
]
files=sys.argv[1:]
data=[load(f) for f in files]
print('| phase | '+' | '.join(files)+' |'); print('|:---|'+'---:|'*len(files))
for name,pred in rows:
    print('| %s | %s |'%(name,' | '.join('%.2f'%cnt(d,pred) for d in data)))
