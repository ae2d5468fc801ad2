"""Render an instructor blog post (markdown with mkdocs-material front matter) to the HTML a
feed entry carries: front matter, '<!-- more -->' and the first H1 (the title) removed,
python-markdown 3.11 with admonition, fenced_code, tables, attr_list and md_in_html; relative
image paths made absolute against `img_base` when given.

    python md2html.py POST.md OUT.html [IMG_BASE_URL]
"""
import re
import sys
from urllib.parse import urljoin

import markdown

EXTENSIONS = ['admonition', 'fenced_code', 'tables', 'attr_list', 'md_in_html']


def render(t, img_base=None):
    t = re.sub(r'\A---\n.*?\n---\n', '', t, flags=re.S)
    t = t.replace('<!-- more -->', '')
    # drop the first H1 (the feed entry carries the title separately)
    t = re.sub(r'\A\s*# .*\n', '', t)
    h = markdown.markdown(t, extensions=EXTENSIONS)
    if img_base:
        h = re.sub(r'(<img\b[^>]*\bsrc=")([^"]+)(")',
                   lambda m: m.group(1) + urljoin(img_base, m.group(2)) + m.group(3), h)
    return h + '\n'


if __name__ == '__main__':
    src, dst = sys.argv[1], sys.argv[2]
    base = sys.argv[3] if len(sys.argv) > 3 else None
    h = render(open(src, encoding='utf-8').read(), base)
    open(dst, 'w', encoding='utf-8').write(h)
    print(dst, len(h))
