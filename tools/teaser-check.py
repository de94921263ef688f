#!/usr/bin/env python3
"""Teasers on real pages: how often does the summary take another story's
sentence put above the article?

The summarizer is trained on CNN/DailyMail (tools/train-summary.sh), whose
rows have no titles and no teasers. This check uses other data, which the
summarizer never trains on: the English pages of trafilatura's evaluation
set and Mozilla Readability's test pages (unpacked by tools/extract-data.sh
into build/extraction). Each page goes through the clean stage alone; the
title and text it gives become a plain-text article (title, blank line,
text). A second copy puts above the text the first sentence of the page
nearest in subject (TF-IDF cosine) from another site, as a news page puts
a related story's teaser. Both go through the configured pipeline, and the
check counts the copies whose summary holds the teaser, and the plain
articles whose summary changed with the teaser above them.

    tools/teaser-check.py [BUILD_DIR]     (default: build)

Deterministic: the same pages, the same pairs, the same figures.
"""
import collections
import json
import math
import os
import re
import subprocess
import sys
import tempfile

STOP = set("the of and to a in is that for it on was with as by at from his he be are this "
           "have an not has but they which or their were said had been its who also would will"
           .split())
GERMAN = set("der die und das ist nicht mit den von zu ein eine auf für sich dem des im auch es"
             .split())


def run(pressline, config, files):
    """The pipeline's documents for files, by source path."""
    docs = {}
    for i in range(0, len(files), 50):
        r = subprocess.run([pressline, 'process', '--config', config] + files[i:i + 50],
                           capture_output=True, text=True, check=False)
        for line in r.stdout.splitlines():
            d = json.loads(line)
            docs[d['source']['path']] = d
    return docs


def site(url):
    if url.startswith('readability:'):
        return url
    host = re.sub(r'^https?://', '', url).split('/')[0].lower()
    return re.sub(r'^www\.', '', host)


def pages_of(ext):
    ev = json.load(open(os.path.join(ext, 'evaldata.json'), encoding='utf-8'))
    out = []
    for url, d in sorted(ev.items()):
        for sub in ('html/eval', 'html/cache', 'html'):
            p = os.path.join(ext, sub, d['file'])
            if os.path.exists(p):
                out.append((url, p))
                break
    rd = os.path.join(ext, 'readability')
    for n in sorted(os.listdir(rd)):
        p = os.path.join(rd, n, 'source.html')
        if os.path.exists(p):
            out.append(('readability:' + re.sub(r'-\d+$', '', n), p))
    return out


def english(title, text):
    w = re.findall(r"[a-z]+", text.lower())
    if len(w) < 150 or len(title.split()) < 3:
        return False
    return (sum(x in STOP for x in w) / len(w) >= 0.15 and
            sum(x in GERMAN for x in w) / len(w) <= 0.03)


def first_sentence(text):
    m = re.match(r'(.{40,300}?[.!?])(\s|$)', text.strip().split('\n')[0])
    return m.group(1) if m else None


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    pressline = os.path.join(build, 'bin', 'pressline')
    ext = os.path.join(build, 'extraction')
    base = json.load(open('config/pressline.json', encoding='utf-8'))
    tmp = tempfile.mkdtemp(prefix='teaser-check.')
    clean_cfg, full_cfg = os.path.join(tmp, 'clean.json'), os.path.join(tmp, 'full.json')
    c = dict(base, stages=[s for s in base['stages'] if s['name'] == 'clean'])
    json.dump(c, open(clean_cfg, 'w'))
    c = dict(base, stages=[s for s in base['stages'] if s['name'] != 'stories'])
    json.dump(c, open(full_cfg, 'w'))

    pages = pages_of(ext)
    docs = run(pressline, clean_cfg, [p for _, p in pages])
    kept, seen = [], set()
    for url, p in pages:
        d = docs.get(p)
        if d and d.get('title') and d.get('text') and url not in seen and \
                english(d['title'], d['text']):
            seen.add(url)
            kept.append({'url': url, 'site': site(url), 'title': d['title'], 'text': d['text']})

    tok = lambda t: re.findall(r"[a-z]{3,}", t.lower())
    df = collections.Counter()
    for k in kept:
        df.update(set(tok(k['text'])))

    def vec(t):
        v = {w: n * math.log(len(kept) / (1 + df[w])) for w, n in collections.Counter(tok(t)).items()}
        z = math.sqrt(sum(x * x for x in v.values())) or 1
        return {w: x / z for w, x in v.items()}

    vs = [vec(k['title'] + ' ' + k['text'][:2000]) for k in kept]
    files, pairs = [], []
    for i, k in enumerate(kept):
        best, best_s = None, -1.0
        for j, q in enumerate(kept):
            fs = first_sentence(q['text'])
            if j == i or q['site'] == k['site'] or not fs:
                continue
            s = sum(x * vs[j].get(w, 0) for w, x in vs[i].items())
            if s > best_s:
                best, best_s = fs, s
        plain, copy = os.path.join(tmp, '%04dp.txt' % i), os.path.join(tmp, '%04dt.txt' % i)
        open(plain, 'w', encoding='utf-8').write(k['title'] + '\n\n' + k['text'] + '\n')
        files.append(plain)
        if best:
            open(copy, 'w', encoding='utf-8').write(
                k['title'] + '\n\n' + best + '\n\n' + k['text'] + '\n')
            files.append(copy)
            pairs.append((plain, copy, best))
    out = run(pressline, full_cfg, files)
    taken = changed = 0
    for plain, copy, teaser in pairs:
        sp = [s['text'] for s in out[plain]['summary']['sentences']] if plain in out else []
        st = [s['text'] for s in out[copy]['summary']['sentences']] if copy in out else []
        if any(s.strip()[:40] == teaser.strip()[:40] for s in st):
            taken += 1
        elif st != sp:
            changed += 1
    print('pages %d (English, with a title), teaser copies %d' % (len(kept), len(pairs)))
    print('teaser taken into the summary: %d of %d (%.1f%%)' %
          (taken, len(pairs), 100.0 * taken / max(1, len(pairs))))
    print('teaser not taken but the summary changed: %d' % changed)


if __name__ == '__main__':
    main()
