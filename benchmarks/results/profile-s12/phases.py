"""phases.py PERF.DATA...: where a split's CPU goes, from perf recordings
(perf record -F 999 -g), as a Markdown table of CPU-seconds, one column per
file. Self samples are put in the first class whose pattern matches the
symbol; kernel symbols are one class."""
import re, subprocess, sys

CLASSES = [
    ('snappy decode', r's2\.s2Decode|snappy.*[Dd]ecode'),
    ('snappy encode', r's2\.(encode|emit|Encode|calcBlock)'),
    ('zstd/other codecs', r'compress/(zstd|flate|gzip)|lz4'),
    ('sha256 of output', r'sha256'),
    ('kernel (page faults, read/write copies, scheduling)', r'^\[k\]'),
    ('memmove / memclr', r'runtime\.mem(move|clr)'),
    ('garbage collector', r'runtime\.(gc|scan|grey|markBits|findObject|wbBuf|bulkBarrier|(\w+)Mark|tryDefer|spanOf|heapBits|sweep)'),
    ('allocation', r'runtime\.(malloc|mallocgc|newobject|makeslice|growslice|nextFree|mcache|mcentral|mheap|\(\*mheap\)|\(\*mcache\)|\(\*mcentral\)|\(\*pageAlloc\))'),
    ('decode (sources, columnar appends, parquet-go decoding)', r'splitdata/sources\.|columnar\.\(\*(Column|Batch)\)\.Append|parquet-go/(encoding|bitpack)\.|parquet-go\.\(\*(FilePages|Column)'),
    ('encode (page writer, parquet-go writer, statistics)', r'splitdata/sinks\.|parquet-go'),
    ('route, gather, assignment (pipeline, columnar, prng)', r'splitdata/(pipeline|internal/columnar|prng|splitter)\.'),
]

def rows(path):
    out = subprocess.run(['perf', 'report', '-i', path, '--no-children', '--sort', 'sym',
                          '--stdio', '-n', '-g', 'none'], capture_output=True, text=True).stdout
    sums = {name: 0 for name, _ in CLASSES}
    sums['other'] = 0
    total = 0
    for line in out.split('\n'):
        m = re.match(r'^\s+[0-9.]+%\s+(\d+)\s+(\[[.k]\])\s+(.*?)\s*$', line)
        if not m:
            continue
        n, kind, sym = int(m.group(1)), m.group(2), m.group(3)
        total += n
        key = kind + ' ' + sym if kind == '[k]' else sym
        for name, pat in CLASSES:
            if re.search(pat, key if name.startswith('kernel') else sym) and (kind == '[k]') == name.startswith('kernel'):
                sums[name] += n
                break
        else:
            sums['other'] += n
    return total, sums

files = sys.argv[1:]
res = [rows(f) for f in files]
print('| phase | ' + ' | '.join(files) + ' |')
print('|:---|' + '---:|' * len(files))
print('| total (all threads) | ' + ' | '.join('%.2f' % (t / 999) for t, _ in res) + ' |')
for name in [c for c, _ in CLASSES] + ['other']:
    print('| %s | %s |' % (name, ' | '.join('%.2f' % (s[name] / 999) for _, s in res)))
