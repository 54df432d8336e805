"""A generic GraphQL client that knows nothing of motionkit: it introspects
the sandbox's /graphql with graphql-core (the reference implementation),
builds a client schema from the answer, and validates every query document
in specs/motiondynamic/queries/ against it.

Usage: python3 graphql_introspection.py URL TOKEN QUERIES_DIR
Exit 0 when every document validates; prints the problems otherwise.
"""
import json
import pathlib
import sys
import urllib.request

from graphql import build_client_schema, get_introspection_query, parse, validate


def main() -> int:
    url, token, queries = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    body = json.dumps({"query": get_introspection_query()}).encode()
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        result = json.load(response)
    if result.get("errors"):
        print("introspection failed:", result["errors"])
        return 1
    schema = build_client_schema(result["data"])
    failures = 0
    documents = sorted(queries.glob("*.graphql"))
    for path in documents:
        errors = validate(schema, parse(path.read_text()))
        for error in errors:
            failures += 1
            print(f"{path.name}: {error.message}")
    print(f"{len(documents)} documents checked, {failures} problems")
    return 1 if failures or not documents else 0


if __name__ == "__main__":
    sys.exit(main())
