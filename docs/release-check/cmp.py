"""Row-by-row SHA-256 of every table in two SQLAlchemy databases."""
import hashlib, sys
import sqlalchemy as sa
def digest(url):
    eng = sa.create_engine(url); out = {}
    with eng.connect() as c:
        md = sa.MetaData(); md.reflect(c)
        for name, t in sorted(md.tables.items()):
            pk = list(t.primary_key.columns) or list(t.columns)
            rows = c.execute(sa.select(t).order_by(*pk)).all()
            h = hashlib.sha256()
            for r in rows:
                h.update(repr(tuple(str(v) if not isinstance(v,(bytes,memoryview)) else bytes(v).hex() for v in r)).encode())
            out[name] = (len(rows), h.hexdigest()[:12])
    return out
a, b = digest(sys.argv[1]), digest(sys.argv[2])
for n in sorted(set(a) | set(b)):
    print(f"{n:24} {a.get(n)} {b.get(n)} {'SAME' if a.get(n)==b.get(n) else 'DIFF'}")
