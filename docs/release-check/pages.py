"""Page through a list endpoint and report pages, rows, unique ids and total (release check, issue 2).

Usage: python docs/release-check/pages.py BASE PATH LIMIT
"""
import json, sys, urllib.request, urllib.parse
base, path, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
ids, cursor, pages = [], None, 0
while True:
    sep = "&" if "?" in path else "?"
    url = f"{base}{path}{sep}limit={limit}" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
    d = json.load(urllib.request.urlopen(url)); pages += 1
    ids += [i.get("id", i.get("slug", (i.get("poll_id"), i.get("question_id"), i.get("outcome")))) for i in d["items"]]
    cursor = d["next_cursor"]
    if not cursor: break
print(f"{path} limit={limit}: pages={pages} rows={len(ids)} unique={len(set(ids))} total={d['total']}")
