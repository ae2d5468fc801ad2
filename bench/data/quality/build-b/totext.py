"""Print a text file as the bot reads it: python totext.py FILE.html (run with the project's
interpreter, e.g. /tmp/venv/bin/python, from anywhere)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))
from bot.content.text import html_to_text

print(html_to_text(open(sys.argv[1], encoding='utf-8').read()))
