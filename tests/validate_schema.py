#!/usr/bin/python3
"""Validates JSON lines (files or stdin) against schema/*.schema.json, choosing
the schema by each message's "schema" field (a "story" topic message, which
has none, against story.schema.json); also checks that offsets point
into "text" and that summary sentences are verbatim. Exit 0 when all pass."""
import json, os, sys
import jsonschema

here = os.path.dirname(os.path.abspath(__file__))
sdir = os.path.join(here, "..", "schema")
schemas = {}
for name, key in (("article.schema.json", "pressline/article/1"), ("error.schema.json", "pressline/error/1")):
    with open(os.path.join(sdir, name)) as f:
        schemas[key] = json.load(f)
with open(os.path.join(sdir, "story.schema.json")) as f:
    story_schema = json.load(f)
resolver_store = {s["$id"]: s for s in list(schemas.values()) + [story_schema]}

def check(msg):
    # A "story" topic message is the story object itself, without "schema".
    sch = schemas.get(msg.get("schema")) or (story_schema if "schema" not in msg and "first_seen" in msg else None)
    if sch is None:
        return f"unknown schema {msg.get('schema')!r}"
    resolver = jsonschema.RefResolver(base_uri=sch["$id"], referrer=sch, store=resolver_store)
    try:
        jsonschema.validate(msg, sch, resolver=resolver)
    except jsonschema.ValidationError as e:
        return f"{'/'.join(map(str, e.path))}: {e.message}"
    if msg.get("schema") == "pressline/article/1":
        text = msg["text"].encode()
        for e in msg["entities"]:
            for m in e["mentions"]:
                if not (0 <= m["start"] < m["end"] <= len(text)):
                    return f"entity {e['text']!r}: mention {m} outside text"
        for d in msg["dates"]:
            if text[d["start"]:d["end"]].decode() != d["text"]:
                return f"date {d['text']!r}: offsets do not match"
        for s in msg["summary"]["sentences"]:
            if text[s["start"]:s["end"]].decode() != s["text"]:
                return f"summary sentence offsets do not match: {s['text'][:40]!r}"
    return None

bad = 0
count = 0
inputs = sys.argv[1:] or ["-"]
for path in inputs:
    f = sys.stdin if path == "-" else open(path)
    for n, line in enumerate(f, 1):
        if not line.strip():
            continue
        count += 1
        err = check(json.loads(line))
        if err:
            bad += 1
            print(f"{path}:{n}: {err}")
print(f"{count} messages, {bad} invalid")
sys.exit(1 if bad or count == 0 else 0)
