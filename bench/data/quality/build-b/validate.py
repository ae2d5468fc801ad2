"""Check the part-b texts against part-b.json (which this never writes).

For every item: the file exists; each fact has a form occurring (case-insensitively) in the
text as the bot reads it: bot.content.text.html_to_text for .html files, the raw text for .txt,
for discussions the comments' own words (lines starting "> " dropped), for comments the text
outside the <blockquote> / "&gt;" quoted lines. Discussions must have 12-40 comments with
unique ids and parents that exist, at least one quoting comment and a sub-thread of 6+ replies.
Roundups must link 4-8 items. Run with the project's interpreter from anywhere:

    /tmp/venv/bin/python validate.py
"""
import html
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
Q = HERE.parent
sys.path.insert(0, str(HERE.parents[3]))
from bot.content.text import html_to_text  # noqa: E402


def own_text_of_comment_html(raw):
    raw = re.sub(r'<blockquote>.*?</blockquote>', ' ', raw, flags=re.S)
    text = html_to_text(raw)
    return '\n'.join(line for line in text.split('\n') if not line.lstrip().startswith('>'))


def check(it):
    problems = []
    path = Q / it['file']
    if not path.exists():
        return [f'missing {path}']
    raw = path.read_text(encoding='utf-8')
    if it['kind'] == 'discussion':
        comments = json.loads(raw)['comments']
        ids = [c['id'] for c in comments]
        if not 12 <= len(comments) <= 40:
            problems.append(f'{len(comments)} comments')
        if len(set(ids)) != len(ids):
            problems.append('duplicate comment ids')
        for c in comments:
            if set(c) != {'id', 'author', 'parent', 'text', 'score'}:
                problems.append(f'comment {c.get("id")} keys {sorted(c)}')
            if c['parent'] is not None and c['parent'] not in ids:
                problems.append(f'comment {c["id"]}: parent {c["parent"]} not in thread')
            if c['parent'] == c['id']:
                problems.append(f'comment {c["id"]} is its own parent')
        parent = {c['id']: c['parent'] for c in comments}

        def top(i, seen=()):
            if i in seen:
                raise ValueError(f'cycle at {i}')
            return i if parent[i] is None else top(parent[i], seen + (i,))

        sub = Counter(top(c['id']) for c in comments if c['parent'] is not None)
        if not sub or max(sub.values()) < 6:
            problems.append('no sub-thread with 6+ replies')
        if not any(l.startswith('> ') for c in comments for l in c['text'].split('\n')):
            problems.append('no quoting comment')
        haystack = '\n'.join(
            '\n'.join(l for l in c['text'].split('\n') if not l.startswith('> ')) for c in comments)
    elif it['kind'] == 'comment':
        if not ('<blockquote>' in raw or re.search(r'(?m)(^|<p>)\s*&gt;', raw)
                or 'setup first' in it['source']):
            problems.append('neither a quoted line nor the setup first')
        haystack = own_text_of_comment_html(raw)
    elif it['file'].endswith('.html'):
        haystack = html_to_text(raw)
    else:
        haystack = raw
    if it['kind'] == 'roundup':
        hrefs = re.findall(r'<h[23]><a href="([^"]+)"', raw)
        if not 4 <= len(hrefs) <= 8:
            problems.append(f'{len(hrefs)} linked items')
        low_raw = html_to_text(raw).lower()
        if not any(s in low_raw for s in ('subscribe', 'appeared first on', 'share')):
            problems.append('no newsletter boilerplate')
    low = html.unescape(haystack).lower()
    for forms in it['facts']:
        if not any(f.lower() in low for f in forms):
            problems.append(f'fact {forms} not found')
    return problems


def main():
    items = json.loads((Q / 'part-b.json').read_text(encoding='utf-8'))['items']
    bad = 0
    for it in items:
        problems = check(it)
        bad += bool(problems)
        print(('FAIL ' if problems else 'ok   ') + it['id'] + ('' if not problems else ': ' + '; '.join(problems)))
    print(f'{len(items) - bad}/{len(items)} items ok')
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
