"""Compare the app's /api/v1 routes with the served OpenAPI doc; list ops without 4xx problem+json."""
import json, re, sys, os
os.environ.setdefault("DATABASE_URL", "sqlite:///" + os.path.abspath("instance/pollapp.db"))  # make run's
from wsgi import app
c = app.test_client()
spec = c.get("/api/v1/openapi.json").get_json()
paths = spec["paths"]
def norm(p): return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", p)
routes = set()
for r in app.url_map.iter_rules():
    if r.rule.startswith("/api/v1"):
        for m in r.methods - {"HEAD", "OPTIONS"}:
            routes.add((norm(r.rule).removeprefix("/api/v1"), m.lower()))
spec_ops = set()
for p, ops in paths.items():
    for m in ops:
        if m in ("get","post","put","patch","delete"):
            spec_ops.add((p.removeprefix("/api/v1"), m))
print("servers", spec.get("servers"))
print("routes not in spec:", sorted(routes - spec_ops))
print("spec ops not routed:", sorted(spec_ops - routes))
comps = spec.get("components", {}).get("responses", {})
def resolve(r):
    if "$ref" in r: return comps[r["$ref"].split("/")[-1]]
    return r
print("\nper-operation documented 4xx/5xx (problem+json?):")
for p, ops in sorted(paths.items()):
    for m, op in ops.items():
        if m not in ("get","post","put","patch","delete"): continue
        codes = []
        bad = []
        for code, r in op["responses"].items():
            if code == "default" or int(code) >= 400:
                rr = resolve(r)
                ct = list(rr.get("content", {}).keys())
                codes.append(code)
                if "application/problem+json" not in ct: bad.append((code, ct))
        print(f"{m.upper():6} {p:55} {' '.join(codes)}  {'NONPROBLEM:'+str(bad) if bad else ''}")
