"""Cut the page body out of an SQLite documentation page shipped by Debian's sqlite3-doc.

The body starts after the navigation script (the one holding antiRobotGo) and stops at the
'This page last modified' footer; the table of contents, scripts, <div> wrappers and section
numbers are dropped. Relative links are NOT made absolute here: essays.py does that.

    python3 sqlite_frag.py whynotgit whyc      # writes ./whynotgit.html, ./whyc.html
"""
import re
import sys

DOC = '/usr/share/doc/sqlite3'


def frag(name):
    t = open(f'{DOC}/{name}.html', encoding='utf-8').read()
    # body after the nav script
    i = t.find('</script>', t.find('antiRobotGo'))
    body = t[i+len('</script>'):]
    body = body.split('<p align="center"><small><i>This page last modified')[0]
    # title
    m = re.search(r'<div class="fancy_title">\s*(.*?)\s*</div>', body, re.S)
    title = m.group(1).strip() if m else None
    if m is None:
        m2 = re.search(r'<h1[^>]*>(.*?)</h1>', body, re.S)
        title = re.sub('<[^>]+>','',m2.group(1)).strip()
    # drop toc block
    body = re.sub(r'<div class=fancy>\s*<div class=nosearch>.*?</script>\s*</div>', '', body, flags=re.S)
    body = re.sub(r'<script.*?</script>', '', body, flags=re.S)
    body = re.sub(r'</?div[^>]*>', '', body)
    body = re.sub(r'<span>[\d.]+ </span>', '', body)
    body = re.sub(r'\n{3,}', '\n\n', body).strip()
    return title, body


if __name__ == '__main__':
    for n in sys.argv[1:]:
        title, body = frag(n)
        open(f'{n}.html', 'w', encoding='utf-8').write(body)
        print(n, '|', title, len(body))
