"""Write the eight part-b essays (texts/essay-*) from the packages they come from.

- four SQLite pages from Debian's sqlite3-doc (apt-get install -y sqlite3-doc):
  the body cut by sqlite_frag.frag(), relative links made absolute to https://sqlite.org/;
- the Debian Manifesto from doc-debian (apt-get install -y doc-debian), decompressed unchanged;
- three instructor blog posts from the instructor 1.17.0 sdist
  (pip download --no-deps --no-binary :all: instructor==1.17.0 -d /tmp/qb_dl, then unpack),
  rendered by md2html.render() with image paths made absolute.

    python essays.py [--instructor-dir /tmp/qb_dl/instructor-1.17.0]

Needs python-markdown 3.11 (pip install markdown==3.11) for the instructor posts.
"""
import argparse
import gzip
import re
import sys
from pathlib import Path
from urllib.parse import urljoin

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / 'texts'
sys.path.insert(0, str(HERE))

from sqlite_frag import frag  # noqa: E402

SQLITE = {
    'essay-sqlite-why-not-git': 'whynotgit',
    'essay-sqlite-why-c': 'whyc',
    'essay-sqlite-app-file-format': 'appfileformat',
    'essay-sqlite-flexible-typing': 'flextypegood',
}
INSTRUCTOR = {
    'essay-rag-more-than-embeddings': 'rag-and-beyond.md',
    'essay-should-i-use-structured-outputs': 'introducing-structured-outputs.md',
    'essay-pydantic-still-all-you-need': 'pydantic-is-still-all-you-need.md',
}
# mkdocs copies docs/blog/posts/img/* to <site_url>/blog/posts/img/* (site_url from the
# sdist's mkdocs.yml), so that is where the posts' relative image paths point.
INSTRUCTOR_IMG_BASE = 'https://python.useinstructor.com/blog/posts/'
MANIFESTO = '/usr/share/doc/debian/debian-manifesto.gz'

_LINK = re.compile(r'(<(?:a|img)\b[^>]*?\b(?:href|src)=)(["\']?)([^"\'\s>]+)\2', re.I)


def absolute_links(body, page):
    """Relative href/src values resolved against the page's address on sqlite.org."""
    base = f'https://sqlite.org/{page}.html'

    def fix(m):
        url = m.group(3)
        if re.match(r'[a-z][a-z0-9+.-]*:', url, re.I):  # already absolute (https:, mailto:)
            return m.group(0)
        q = m.group(2) or '"'
        return f'{m.group(1)}{q}{urljoin(base, url)}{q}'

    return _LINK.sub(fix, body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--instructor-dir', default='/tmp/qb_dl/instructor-1.17.0')
    args = ap.parse_args()

    for item, page in SQLITE.items():
        title, body = frag(page)
        body = absolute_links(body, page)
        (OUT / f'{item}.html').write_text(body + '\n', encoding='utf-8')
        print(item, '|', title, len(body))

    text = gzip.decompress(Path(MANIFESTO).read_bytes())
    (OUT / 'essay-debian-manifesto.txt').write_bytes(text)
    print('essay-debian-manifesto', len(text))

    from md2html import render  # needs python-markdown

    posts = Path(args.instructor_dir) / 'docs' / 'blog' / 'posts'
    for item, name in INSTRUCTOR.items():
        h = render((posts / name).read_text(encoding='utf-8'), INSTRUCTOR_IMG_BASE)
        (OUT / f'{item}.html').write_text(h, encoding='utf-8')
        print(item, len(h))


if __name__ == '__main__':
    main()
