"""The OpenAPI document as the gateway assembles it, for tools and tests:
`openapi.json` (the frame: info, security, shared components) plus one file
per service (`auth.json`, `core.json`, ...) in Services/Gateway/Sources/OpenAPI,
each with `paths`, optional `tags` and `components`. A path or component
name defined twice is an error. The responses the gateway itself can give are
added to every operation (401 when signed in, 413 with a body, 429, 502-504).

    python3 Tests/System/openapi_doc.py check    # assemble, validate, list operations
    python3 Tests/System/openapi_doc.py print    # the assembled document
"""
import copy
import json
import pathlib
import sys

FOLDER = pathlib.Path(__file__).resolve().parents[2] / "Services" / "Gateway" / "Sources" / "OpenAPI"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
GATEWAY_RESPONSES = {"431": "HeadersTooLarge", "429": "TooManyRequests", "502": "BadGateway", "503": "ServiceUnavailable", "504": "GatewayTimeout"}


def assemble(folder=FOLDER):
    doc = json.loads((folder / "openapi.json").read_text())
    for part in sorted(folder.glob("*.json")):
        if part.name == "openapi.json":
            continue
        fragment = json.loads(part.read_text())
        unknown = set(fragment) - {"paths", "tags", "components"}
        if unknown:
            raise ValueError(f"{part.name}: unexpected top-level keys {sorted(unknown)}")
        for path, item in fragment.get("paths", {}).items():
            if path in doc["paths"]:
                raise ValueError(f"{part.name}: path {path} is defined twice")
            doc["paths"][path] = item
        doc["tags"].extend(fragment.get("tags", []))
        for kind, entries in fragment.get("components", {}).items():
            target = doc["components"].setdefault(kind, {})
            for name, value in entries.items():
                if name in target:
                    raise ValueError(f"{part.name}: components.{kind}.{name} is defined twice")
                target[name] = value
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            responses = op.setdefault("responses", {})
            extra = dict(GATEWAY_RESPONSES)
            if op.get("security", doc.get("security")):
                extra["401"] = "Unauthorized"
            if "requestBody" in op:
                extra["413"] = "PayloadTooLarge"
                extra["408"] = "RequestTimeout"
            for status, name in extra.items():
                responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
    return doc


def operations(doc):
    return sorted((method.upper(), path) for path, item in doc["paths"].items() for method in METHODS if method in item)


def main():
    doc = assemble()
    if sys.argv[1:] == ["print"]:
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    from openapi_spec_validator import validate
    validate(copy.deepcopy(doc))
    ops = operations(doc)
    ids = [item[m]["operationId"] for item in doc["paths"].values() for m in METHODS if m in item and "operationId" in item[m]]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    for method, path in ops:
        print(f"{method:7} {path}")
    print(f"{len(ops)} operations, valid OpenAPI {doc['openapi']}")


if __name__ == "__main__":
    main()
