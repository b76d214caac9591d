"""The bad inputs of tests/test_bad_input.py, derived from the OpenAPI document: for every
property of a request body and every query parameter, the values an outside tester sent
(NUL, lone surrogates, deep nesting, huge and fractional integers, over-long strings, UTC
offsets PostgreSQL refuses), each with the field the 422 must name."""
from __future__ import annotations

import json
from dataclasses import dataclass

NUL = "a\x00b"
SURROGATE = "\ud800"            # json.dumps writes it as the escape "\ud800": raw bytes
HUGE = 2**63
BAD_OFFSET = "4086-07-24T12:52:06+17:01"
DEEP = 1000


@dataclass
class Case:
    name: str                   # what is wrong
    field: str | None           # the field the answer must name (None: the whole body)
    data: bytes | str | dict | None = None
    content_type: str = "application/json"
    statuses: tuple = (400, 415, 422)


def deep(levels: int):
    out: list = []
    for _ in range(levels - 1):
        out = [out]
    return out


def deep_raw(levels: int = DEEP) -> bytes:
    return b"[" * levels + b"]" * levels


DEEP_FIELD = "\u2063deep"     # stands for deep_raw() in a body (json.dumps would recurse)


def dumps(body) -> bytes:
    return json.dumps(body).replace(json.dumps(DEEP_FIELD), deep_raw().decode()).encode()


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def writable(spec: dict, schema: dict) -> dict[str, dict]:
    props = resolve(spec, schema).get("properties", {})
    return {name: resolve(spec, p) for name, p in props.items() if not p.get("readOnly")}


def values_for(spec: dict, prop: dict) -> list[tuple[str, object]]:
    """(what, bad value) pairs for one property, by its OpenAPI type."""
    out = [("NUL", NUL), ("lone surrogate", SURROGATE)]
    kind = prop.get("type")
    if kind == "integer":
        out += [("2^63", HUGE), ("float for an int", 1.5), ("-2^63", -HUGE)]
    elif kind == "number":
        out += [("number past a double", 10**400)]
    elif kind == "string" and prop.get("format") == "date-time":
        out += [("UTC offset +17:01", BAD_OFFSET), ("year 1", "0001-01-01T00:00:00+01:00")]
    elif kind == "string" and "maxLength" in prop:
        out += [("over-long", "x" * (prop["maxLength"] + 1))]
    elif kind == "array":
        item = resolve(spec, prop.get("items", {}))
        out += [(f"item {what}", [value]) for what, value in values_for(spec, item)]
        out += [(f"{DEEP} levels", DEEP_FIELD)]
    elif kind == "object" and "properties" not in prop:      # a free-form object
        out += [("NUL value", {"k": NUL}), ("NUL key", {NUL: 1}),
                ("500 levels", {"k": deep(500)}), ("1 MB", {"k": "x" * 1_000_000})]
    return out


def body_cases(spec: dict, op: dict, sample) -> list[Case]:
    """Every bad JSON body of an operation, built on its valid sample body."""
    body = op["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    cases = [
        Case("text/plain body", None, dumps(sample), "text/plain", (415,)),
        Case("form body", None, "a=1", "application/x-www-form-urlencoded", (415,)),
        Case("empty body", None, b"", statuses=(422,) if body.get("required") else ()),
        Case(f"{DEEP} levels of nesting", None, deep_raw()),
        Case("NaN", None, b'{"x": NaN}', statuses=(400,)),
        Case("number of 5000 digits", None, b'{"x": ' + b"9" * 5000 + b"}", statuses=(400,)),
    ]
    for name, prop in writable(spec, schema).items():
        for what, value in values_for(spec, prop):
            cases.append(Case(f"{name}: {what}", name, dumps({**sample, name: value})))
        for inner, iprop in writable(spec, prop).items() if "properties" in prop else ():
            for what, value in values_for(spec, iprop):
                nested = {**sample.get(name, {}), inner: value}
                cases.append(Case(f"{name}.{inner}: {what}", inner,
                                  dumps({**sample, name: nested})))
    return cases


def query_cases(spec: dict, params: list[dict]) -> list[Case]:
    """Every bad value of every query parameter (one parameter at a time)."""
    cases = []
    for p in params:
        if p["in"] != "query":
            continue
        schema = resolve(spec, p.get("schema", {}))
        values = values_for(spec, schema)
        if schema.get("type") == "integer":
            values += [("digits", "9" * 40)]
        for what, value in values:
            if what == "lone surrogate" or value == DEEP_FIELD or isinstance(value, (list, dict)):
                continue            # a query string is decoded with replacement characters
            case = Case(f"?{p['name']}: {what}", p["name"], {p["name"]: str(value)})
            if p["name"] in CREDENTIALS:
                case.statuses = (401,)      # a bad credential is refused as one
            cases.append(case)
    return cases


# Query parameters that are credentials (the live stream's single-use ticket): any bad
# value is an unknown ticket, 401 in the error shape.
CREDENTIALS = {"ticket"}


def upload_cases(path: str) -> list[Case]:
    """The facility file, the device CSV and repair photos: raw or multipart uploads."""
    if path.endswith("/photos"):
        return [Case("NUL in the file name", "file", "nul", "multipart/form-data"),
                Case("JSON instead of multipart", "file", b"{}", "application/json")]
    if path.endswith("devices.csv"):
        text = "code,name,kind\n"
        return [Case("NUL in a cell", None, text + "Q\x00,n,breaker\n", "text/csv"),
                Case("not UTF-8", None, text.encode() + b"\xff\xfe,n,breaker\n", "text/csv"),
                Case("empty body", None, b"", "text/csv")]
    if path.endswith("/device-profiles"):
        head = "name: acme-x\nkinds: [breaker]\n"
        return [Case("escaped NUL", None, head + 'model: "a\\0b"\n'),
                Case("raw control character", None, head + "model: a\x01\n"),
                Case("10,000 levels", None, head + "metrics: " + "[" * 10000 + "]" * 10000),
                Case("an alias", None, head + "model: &m x\nvendor: *m\n"),
                Case("a mask on a u32", "profile", head + "model: m\nmetrics:\n  voltage_a: "
                     "{table: input, address: 0, type: u32, mask: 0xFF}\n"),
                Case("empty body", None, b"", "application/yaml")]
    head = "version: 1\nsite: {code: A, name: 甲所}\n"
    cases = [Case("escaped NUL", None, head + 'areas:\n  - {code: X, name: "a\\0b"}\n'),
            Case("escaped lone surrogate", None, head + 'areas:\n  - {code: X, name: "\\ud800"}\n'),
            Case("raw control character", None, head + "areas:\n  - {code: X, name: a\x01}\n"),
            Case("raw NUL", None, head + "areas:\n  - {code: X, name: a\x00}\n"),
            Case("10,000 levels", None, head + "areas: " + "[" * 10000 + "]" * 10000 + "\n"),
            Case("site code of 40 characters", "code", head.replace("code: A", "code: " + "A" * 40)),
            Case("time zone Mars/Olympus", "timezone",
                 head.replace("name: 甲所", "name: 甲所, timezone: Mars/Olympus")),
            Case("empty body", None, b"")]
    for case in cases:
        case.content_type = "application/yaml"
    return cases
